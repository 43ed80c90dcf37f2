-- How a site is swept, set by its dealer ({"packets-per-second": n}): NULL until set,
-- when the server hands out the default.
ALTER TABLE sites ADD COLUMN discovery TEXT;
