-- Readings kept for years (issue 15): a reading row keeps only what is its own, compressed
-- against a keyframe; what a device's readings share moves to `reading_series`; the supply
-- and alert rows each reading repeated, and each reading's agent key, go; daily summaries
-- of meters and supply levels are kept for ever; raw exchanges can be removed after a period.

-- What a run of one device's readings share: the cycle and the strategy that read them, and
-- the keyframe their bodies are deflated against (the opening reading's JSON, zlib-compressed;
-- NULL for readings filed before this migration, whose bodies are their plain JSON) and their
-- exchanges are compressed against (its `.snmprec` and exchange log, when it had them).
CREATE TABLE reading_series (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id BIGINT NOT NULL REFERENCES devices (id),
    cycle TEXT NOT NULL,
    strategy_name TEXT NOT NULL,
    strategy_version TEXT NOT NULL,
    keyframe BYTEA,
    snmprec_keyframe BYTEA,
    exchanges_keyframe BYTEA
);
CREATE INDEX reading_series_by_device
    ON reading_series (device_id, cycle, strategy_name, strategy_version, id);

INSERT INTO reading_series (device_id, cycle, strategy_name, strategy_version)
SELECT DISTINCT device_id, cycle, strategy_name, strategy_version FROM readings;

-- A reading keeps what is its own: its body (the JSON, deflated against its series'
-- keyframe; for readings filed before, the plain JSON) and, until retention removes them,
-- its exchanges (before, an uncompressed `.snmprec` sat in `raw`: it moves to `snmprec_z`
-- as plain text, which reads back as such). raw_kept_days is set when retention removed
-- the exchanges, to the period they were kept. The table is rebuilt rather than altered:
-- a dropped column still costs every new row a bit of its null bitmap, and with more than
-- eight columns the bitmap pushes each row's header from 24 bytes to 32. The indexes are
-- packed full (fillfactor 100): their keys only ever grow at each device's end.
CREATE TABLE readings_compact (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY WITH (fillfactor = 100),
    device_id BIGINT NOT NULL REFERENCES devices (id),
    taken_at TIMESTAMPTZ NOT NULL,
    series_id BIGINT NOT NULL REFERENCES reading_series (id),
    raw_kept_days SMALLINT,
    body BYTEA NOT NULL,
    snmprec_z BYTEA,
    exchanges_z BYTEA
);

INSERT INTO readings_compact (id, device_id, taken_at, series_id, body, snmprec_z, exchanges_z)
OVERRIDING SYSTEM VALUE
SELECT r.id, r.device_id, r.taken_at, s.id, convert_to(r.reading::text, 'UTF8'),
    COALESCE(r.snmprec_z, convert_to(r.raw, 'UTF8')), r.exchanges_z
FROM readings r JOIN reading_series s ON s.device_id = r.device_id AND s.cycle = r.cycle
    AND s.strategy_name = r.strategy_name AND s.strategy_version = r.strategy_version;

SELECT setval(pg_get_serial_sequence('readings_compact', 'id'), COALESCE(MAX(id), 0) + 1, false)
FROM readings_compact;

-- The sequence numbers filed from each agent, as runs: what makes an upload exactly-once,
-- one row per agent while its numbers come without gaps, where a key on every reading
-- cost more than the reading.
CREATE TABLE agent_seq_runs (
    agent_id TEXT NOT NULL REFERENCES agents (id),
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
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

-- Every reading's supplies and alerts are in its body; the rows repeated them. Any other
-- table referring to readings makes the DROP fail, rather than lose its reference.
ALTER TABLE supply_replacements DROP CONSTRAINT supply_replacements_reading_id_fkey;
ALTER TABLE reading_versions DROP CONSTRAINT reading_versions_reading_id_fkey;
DROP TABLE supplies;
DROP TABLE alerts;
DROP TABLE readings;
ALTER TABLE readings_compact RENAME TO readings;
ALTER INDEX readings_compact_pkey RENAME TO readings_pkey;
ALTER SEQUENCE readings_compact_id_seq RENAME TO readings_id_seq;
ALTER TABLE readings RENAME CONSTRAINT readings_compact_device_id_fkey TO readings_device_id_fkey;
ALTER TABLE readings RENAME CONSTRAINT readings_compact_series_id_fkey TO readings_series_id_fkey;
ALTER TABLE supply_replacements ADD CONSTRAINT supply_replacements_reading_id_fkey
    FOREIGN KEY (reading_id) REFERENCES readings (id);
ALTER TABLE reading_versions ADD CONSTRAINT reading_versions_reading_id_fkey
    FOREIGN KEY (reading_id) REFERENCES readings (id);
CREATE INDEX readings_by_device ON readings (device_id, taken_at) WITH (fillfactor = 100);

-- The first and last reading of each counter on each UTC day, from which pages per day
-- and per billing period are computed.
CREATE TABLE daily_meters (
    device_id BIGINT NOT NULL REFERENCES devices (id),
    day DATE NOT NULL,
    counter TEXT NOT NULL,
    first_value BIGINT NOT NULL,
    first_at TIMESTAMPTZ NOT NULL,
    first_reading_id BIGINT NOT NULL REFERENCES readings (id),
    last_value BIGINT NOT NULL,
    last_at TIMESTAMPTZ NOT NULL,
    last_reading_id BIGINT NOT NULL REFERENCES readings (id),
    PRIMARY KEY (device_id, day, counter)
);

INSERT INTO daily_meters (device_id, day, counter, first_value, first_at, first_reading_id,
    last_value, last_at, last_reading_id)
SELECT device_id, day, counter, first_value, first_at, first_reading_id,
    last_value, last_at, last_reading_id
FROM (
    SELECT r.device_id, (r.taken_at AT TIME ZONE 'UTC')::date AS day, c.key AS counter,
        FIRST_VALUE(c.value::bigint) OVER w AS first_value,
        FIRST_VALUE(r.taken_at) OVER w AS first_at,
        FIRST_VALUE(r.id) OVER w AS first_reading_id,
        LAST_VALUE(c.value::bigint) OVER w AS last_value,
        LAST_VALUE(r.taken_at) OVER w AS last_at,
        LAST_VALUE(r.id) OVER w AS last_reading_id,
        ROW_NUMBER() OVER w AS n
    FROM readings r, jsonb_each_text(convert_from(r.body, 'UTF8')::jsonb -> 'counters') c
    WINDOW w AS (PARTITION BY r.device_id, (r.taken_at AT TIME ZONE 'UTC')::date, c.key ORDER BY r.taken_at, r.id
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
) AS days
WHERE n = 1;

-- Each supply position's level over each UTC day: the first, last and lowest percent,
-- and what the last reading of the day said of it.
CREATE TABLE daily_levels (
    device_id BIGINT NOT NULL REFERENCES devices (id),
    day DATE NOT NULL,
    idx BIGINT NOT NULL,
    kind TEXT NOT NULL,
    color TEXT,
    description TEXT NOT NULL,
    first_at TIMESTAMPTZ NOT NULL,
    first_percent INTEGER,
    last_at TIMESTAMPTZ NOT NULL,
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
    SELECT r.device_id, (r.taken_at AT TIME ZONE 'UTC')::date AS day, (s.value ->> 'index')::bigint AS idx,
        LAST_VALUE(s.value ->> 'kind') OVER w AS kind,
        LAST_VALUE(s.value ->> 'color') OVER w AS color,
        LAST_VALUE(s.value ->> 'description') OVER w AS description,
        FIRST_VALUE(r.taken_at) OVER w AS first_at,
        FIRST_VALUE((s.value ->> 'percent')::integer) OVER w AS first_percent,
        LAST_VALUE(r.taken_at) OVER w AS last_at,
        LAST_VALUE((s.value ->> 'percent')::integer) OVER w AS last_percent,
        MIN((s.value ->> 'percent')::integer) OVER w AS min_percent,
        LAST_VALUE(s.value ->> 'state') OVER w AS last_state,
        LAST_VALUE(s.value ->> 'serial') OVER w AS last_serial,
        LAST_VALUE(s.value ->> 'part_number') OVER w AS last_part_number,
        ROW_NUMBER() OVER w AS n
    FROM readings r, jsonb_array_elements(convert_from(r.body, 'UTF8')::jsonb -> 'supplies') s
    WINDOW w AS (PARTITION BY r.device_id, (r.taken_at AT TIME ZONE 'UTC')::date, s.value ->> 'index'
        ORDER BY r.taken_at, r.id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
) AS days
WHERE n = 1;

-- What the retention job visits: only readings still holding a raw exchange.
CREATE INDEX readings_with_raw ON readings (taken_at)
    WHERE snmprec_z IS NOT NULL OR exchanges_z IS NOT NULL;
