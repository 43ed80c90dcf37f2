-- What the server adds: users and their sessions, agent enrollment, per-site and
-- per-account configuration agents fetch, and exactly-once uploads. Times are UTC.

-- How often an account's agents check in; the account's agents all share it.
ALTER TABLE accounts ADD COLUMN check_in_seconds INTEGER NOT NULL DEFAULT 300;

-- role is `administrator`, `dealer-user` or `account-user`; password_hash is argon2 (PHC string).
CREATE TABLE users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- The accounts a user was granted; a granted dealer brings its whole subtree.
CREATE TABLE user_accounts (
    user_id BIGINT NOT NULL REFERENCES users (id),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (user_id, account_id)
);

-- Login sessions: only the SHA-256 of the token is kept.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    secret_hash TEXT NOT NULL,
    hostname TEXT NOT NULL,
    version TEXT NOT NULL,
    enrolled_at TIMESTAMPTZ NOT NULL,
    last_check_in TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);

-- Single use: used_at and agent_id are set by the enrollment that spends the key.
CREATE TABLE enrollment_keys (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    agent_id TEXT REFERENCES agents (id),
    revoked_at TIMESTAMPTZ
);
CREATE INDEX enrollment_keys_by_account ON enrollment_keys (account_id);

-- The site's ScheduleConfig as JSON, time zone included; NULL until set (the server's default).
ALTER TABLE sites ADD COLUMN schedules JSONB;

CREATE TABLE site_ranges (
    site_id BIGINT NOT NULL REFERENCES sites (id),
    position INTEGER NOT NULL,
    range_text TEXT NOT NULL,
    part TEXT,
    PRIMARY KEY (site_id, position)
);

-- SNMP credentials an account's agents try, in position order.
CREATE TABLE account_credentials (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    position INTEGER NOT NULL,
    spec JSONB NOT NULL,
    PRIMARY KEY (account_id, position)
);

-- Which agent upload filed a reading: the unique pair makes a retried upload file nothing twice.
ALTER TABLE readings ADD COLUMN agent_id TEXT REFERENCES agents (id);
ALTER TABLE readings ADD COLUMN agent_seq BIGINT;
CREATE UNIQUE INDEX readings_by_agent_seq ON readings (agent_id, agent_seq);

-- A supply the agent saw replaced, with its evidence (JSON of the protocol's ReplacementEvidence).
CREATE TABLE supply_replacements (
    device_id BIGINT NOT NULL REFERENCES devices (id),
    reading_id BIGINT NOT NULL REFERENCES readings (id),
    idx BIGINT NOT NULL,
    description TEXT NOT NULL,
    evidence JSONB NOT NULL,
    PRIMARY KEY (reading_id, idx)
);
CREATE INDEX supply_replacements_by_device ON supply_replacements (device_id, reading_id);
