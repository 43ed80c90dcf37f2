-- Readings kept for years (issue 15): a reading row keeps only what is its own, compressed
-- against a keyframe; what a device's readings share moves to `reading_series`; the supply
-- and alert rows each reading repeated, and each reading's agent key, go; daily summaries
-- of meters and supply levels are kept for ever; raw exchanges can be removed after a period.

-- What a run of one device's readings share: the cycle and the strategy that read them, and
-- the keyframe their bodies are deflated against (the opening reading's JSON, zlib-compressed;
-- NULL for readings filed before this migration, whose bodies are their plain JSON) and their
-- exchanges are compressed against (its `.snmprec` and exchange log, when it had them).
CREATE TABLE reading_series (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices (id),
    cycle TEXT NOT NULL,
    strategy_name TEXT NOT NULL,
    strategy_version TEXT NOT NULL,
    keyframe BLOB,
    snmprec_keyframe BLOB,
    exchanges_keyframe BLOB
);
CREATE INDEX reading_series_by_device
    ON reading_series (device_id, cycle, strategy_name, strategy_version, id);

INSERT INTO reading_series (device_id, cycle, strategy_name, strategy_version)
SELECT DISTINCT device_id, cycle, strategy_name, strategy_version FROM readings;

-- A reading keeps what is its own: its body (the JSON, deflated against its series'
-- keyframe; for readings filed before, the plain JSON) and, until retention removes them,
-- its exchanges (before, an uncompressed `.snmprec` sat in `raw`: it moves to `snmprec_z`
-- as plain text, which reads back as such). raw_kept_days is set when retention removed
-- the exchanges, to the period they were kept.
ALTER TABLE readings ADD COLUMN series_id INTEGER REFERENCES reading_series (id);
ALTER TABLE readings ADD COLUMN body BLOB;
ALTER TABLE readings ADD COLUMN raw_kept_days INTEGER;

UPDATE readings SET
    series_id = (
        SELECT s.id FROM reading_series s
        WHERE s.device_id = readings.device_id AND s.cycle = readings.cycle
            AND s.strategy_name = readings.strategy_name
            AND s.strategy_version = readings.strategy_version
    ),
    body = CAST(reading AS BLOB),
    snmprec_z = COALESCE(snmprec_z, CAST(raw AS BLOB));

-- The sequence numbers filed from each agent, as runs: what makes an upload exactly-once,
-- one row per agent while its numbers come without gaps, where a key on every reading
-- cost more than the reading.
CREATE TABLE agent_seq_runs (
    agent_id TEXT NOT NULL REFERENCES agents (id),
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (agent_id, first_seq)
);

INSERT INTO agent_seq_runs (agent_id, first_seq, last_seq)
SELECT agent_id, MIN(agent_seq), MAX(agent_seq)
FROM (
    SELECT agent_id, agent_seq,
        agent_seq - ROW_NUMBER() OVER (PARTITION BY agent_id ORDER BY agent_seq) AS run
    FROM readings WHERE agent_id IS NOT NULL AND agent_seq IS NOT NULL
) AS numbered
GROUP BY agent_id, run;

-- Every reading's supplies and alerts are in its body; the rows repeated them.
DROP TABLE supplies;
DROP TABLE alerts;
DROP INDEX readings_by_agent_seq;
ALTER TABLE readings DROP COLUMN cycle;
ALTER TABLE readings DROP COLUMN strategy_name;
ALTER TABLE readings DROP COLUMN strategy_version;
ALTER TABLE readings DROP COLUMN reading;
ALTER TABLE readings DROP COLUMN raw;
ALTER TABLE readings DROP COLUMN agent_id;
ALTER TABLE readings DROP COLUMN agent_seq;

-- The first and last reading of each counter on each UTC day, from which pages per day
-- and per billing period are computed.
CREATE TABLE daily_meters (
    device_id INTEGER NOT NULL REFERENCES devices (id),
    day TEXT NOT NULL,
    counter TEXT NOT NULL,
    first_value INTEGER NOT NULL,
    first_at TEXT NOT NULL,
    first_reading_id INTEGER NOT NULL REFERENCES readings (id),
    last_value INTEGER NOT NULL,
    last_at TEXT NOT NULL,
    last_reading_id INTEGER NOT NULL REFERENCES readings (id),
    PRIMARY KEY (device_id, day, counter)
);

INSERT INTO daily_meters (device_id, day, counter, first_value, first_at, first_reading_id,
    last_value, last_at, last_reading_id)
SELECT device_id, day, counter, first_value, first_at, first_reading_id,
    last_value, last_at, last_reading_id
FROM (
    SELECT r.device_id, date(r.taken_at) AS day, c.key AS counter,
        FIRST_VALUE(c.value) OVER w AS first_value,
        FIRST_VALUE(r.taken_at) OVER w AS first_at,
        FIRST_VALUE(r.id) OVER w AS first_reading_id,
        LAST_VALUE(c.value) OVER w AS last_value,
        LAST_VALUE(r.taken_at) OVER w AS last_at,
        LAST_VALUE(r.id) OVER w AS last_reading_id,
        ROW_NUMBER() OVER w AS n
    FROM readings r, json_each(CAST(r.body AS TEXT), '$.counters') c
    WINDOW w AS (PARTITION BY r.device_id, date(r.taken_at), c.key ORDER BY r.taken_at, r.id
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
) AS days
WHERE n = 1;

-- Each supply position's level over each UTC day: the first, last and lowest percent,
-- and what the last reading of the day said of it.
CREATE TABLE daily_levels (
    device_id INTEGER NOT NULL REFERENCES devices (id),
    day TEXT NOT NULL,
    idx INTEGER NOT NULL,
    kind TEXT NOT NULL,
    color TEXT,
    description TEXT NOT NULL,
    first_at TEXT NOT NULL,
    first_percent INTEGER,
    last_at TEXT NOT NULL,
    last_percent INTEGER,
    min_percent INTEGER,
    last_state TEXT NOT NULL,
    last_serial TEXT,
    last_part_number TEXT,
    PRIMARY KEY (device_id, day, idx)
);

INSERT INTO daily_levels (device_id, day, idx, kind, color, description, first_at,
    first_percent, last_at, last_percent, min_percent, last_state, last_serial, last_part_number)
SELECT device_id, day, idx, kind, color, description, first_at, first_percent, last_at,
    last_percent, min_percent, last_state, last_serial, last_part_number
FROM (
    SELECT r.device_id, date(r.taken_at) AS day, json_extract(s.value, '$.index') AS idx,
        LAST_VALUE(json_extract(s.value, '$.kind')) OVER w AS kind,
        LAST_VALUE(json_extract(s.value, '$.color')) OVER w AS color,
        LAST_VALUE(json_extract(s.value, '$.description')) OVER w AS description,
        FIRST_VALUE(r.taken_at) OVER w AS first_at,
        FIRST_VALUE(json_extract(s.value, '$.percent')) OVER w AS first_percent,
        LAST_VALUE(r.taken_at) OVER w AS last_at,
        LAST_VALUE(json_extract(s.value, '$.percent')) OVER w AS last_percent,
        MIN(json_extract(s.value, '$.percent')) OVER w AS min_percent,
        LAST_VALUE(json_extract(s.value, '$.state')) OVER w AS last_state,
        LAST_VALUE(json_extract(s.value, '$.serial')) OVER w AS last_serial,
        LAST_VALUE(json_extract(s.value, '$.part_number')) OVER w AS last_part_number,
        ROW_NUMBER() OVER w AS n
    FROM readings r, json_each(CAST(r.body AS TEXT), '$.supplies') s
    WINDOW w AS (PARTITION BY r.device_id, date(r.taken_at), json_extract(s.value, '$.index')
        ORDER BY r.taken_at, r.id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
) AS days
WHERE n = 1;

-- What the retention job visits: only readings still holding a raw exchange.
CREATE INDEX readings_with_raw ON readings (taken_at)
    WHERE snmprec_z IS NOT NULL OR exchanges_z IS NOT NULL;
