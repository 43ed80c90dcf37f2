-- A reading kept whole. Every exchange the read made, zlib-compressed: its SNMP part as
-- `.snmprec` text, its web, NPAP and IPP part as the `.exchanges.jsonl` log. Readings
-- filed before keep their `.snmprec` text in `raw`, uncompressed.
ALTER TABLE readings ADD COLUMN snmprec_z BLOB;
ALTER TABLE readings ADD COLUMN exchanges_z BLOB;

-- What later strategies made of a reading's exchange, re-read on the server. The row in
-- `readings` is version 1 and is never rewritten; the highest version is what the API shows.
CREATE TABLE reading_versions (
    reading_id INTEGER NOT NULL REFERENCES readings (id),
    version INTEGER NOT NULL,
    strategy_name TEXT NOT NULL,
    strategy_version TEXT NOT NULL,
    reading TEXT NOT NULL,
    made_at TEXT NOT NULL,
    PRIMARY KEY (reading_id, version)
);
