-- Tenants, device inventory and the history ingest writes. Times are UTC.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES accounts (id),
    name TEXT NOT NULL,
    is_dealer BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE sites (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    UNIQUE (account_id, name)
);

-- identity is the key ingest derives from serial + MAC (see the crate doc).
CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    site_id INTEGER REFERENCES sites (id),
    identity TEXT NOT NULL,
    serial TEXT,
    mac TEXT,
    manufacturer TEXT,
    model TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    strategy_name TEXT,
    strategy_version TEXT,
    UNIQUE (account_id, identity)
);

CREATE TABLE device_addresses (
    device_id INTEGER NOT NULL REFERENCES devices (id),
    address TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (device_id, address)
);

CREATE TABLE readings (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices (id),
    taken_at TEXT NOT NULL,
    cycle TEXT NOT NULL,
    strategy_name TEXT NOT NULL,
    strategy_version TEXT NOT NULL,
    reading TEXT NOT NULL,
    raw TEXT
);
CREATE INDEX readings_by_device ON readings (device_id, taken_at);

CREATE TABLE supplies (
    device_id INTEGER NOT NULL REFERENCES devices (id),
    reading_id INTEGER NOT NULL REFERENCES readings (id),
    idx INTEGER NOT NULL,
    description TEXT NOT NULL,
    kind TEXT NOT NULL,
    color TEXT,
    level INTEGER,
    max_level INTEGER,
    percent INTEGER,
    state TEXT NOT NULL,
    serial TEXT,
    PRIMARY KEY (reading_id, idx)
);
CREATE INDEX supplies_by_device ON supplies (device_id, idx, reading_id);

CREATE TABLE alerts (
    device_id INTEGER NOT NULL REFERENCES devices (id),
    reading_id INTEGER NOT NULL REFERENCES readings (id),
    idx INTEGER NOT NULL,
    code INTEGER NOT NULL,
    severity TEXT NOT NULL,
    alert_group TEXT,
    description TEXT,
    PRIMARY KEY (reading_id, idx)
);
CREATE INDEX alerts_by_device ON alerts (device_id, reading_id);
