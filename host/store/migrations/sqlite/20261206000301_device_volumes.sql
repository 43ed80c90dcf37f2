-- Calculated values (issue 15): each device's average daily and monthly volume, recomputed
-- on a schedule. `daily` and `monthly` are columns so alert filters can compare them in
-- SQL; `detail` is what they were computed from (basis, window, observed days, pages), as
-- JSON the server writes and reads.
CREATE TABLE device_volumes (
    device_id INTEGER PRIMARY KEY REFERENCES devices (id),
    computed_at TEXT NOT NULL,
    daily REAL NOT NULL,
    monthly REAL NOT NULL,
    detail TEXT NOT NULL
);
