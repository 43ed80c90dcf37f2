-- Ingest rewrites each device's row, and the row of each address it answered on, with
-- every batch that reads it (last seen, status). On full pages the new version goes to
-- another page, so each of the devices' six indexes gets a new entry and the old ones
-- must be cleaned out again; with half of each page free, the new version stays on its
-- page and no index is touched (a HOT update). A row per device, so the space is small.
-- Pages already written keep their fill until rewritten (VACUUM FULL).
ALTER TABLE devices SET (fillfactor = 50);
ALTER TABLE device_addresses SET (fillfactor = 50);
