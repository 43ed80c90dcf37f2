-- Strategies published to this server: every version ever accepted, with its bytes, so
-- every server process hands out the same ones and a rollback has something to return to.
CREATE TABLE strategies (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    component BYTEA NOT NULL,
    signature TEXT,
    publisher TEXT,
    published_at TIMESTAMPTZ NOT NULL,
    published_by TEXT NOT NULL,
    -- Set by a rollback: the version is kept (for the record) but no longer handed out.
    withdrawn_at TIMESTAMPTZ,
    PRIMARY KEY (name, version)
);
