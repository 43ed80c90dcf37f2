-- Action and alert-logic plugins are published, signed and rolled back like strategies,
-- so the table of published strategies becomes that of every published plugin, each
-- with its kind (its world: strategy, action or alert-logic). A name is a name within a
-- kind: an action plugin may share one with a strategy.
CREATE TABLE plugins (
    kind TEXT NOT NULL,
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
    PRIMARY KEY (kind, name, version)
);

INSERT INTO plugins (kind, name, version, sha256, component, signature, publisher,
    published_at, published_by, withdrawn_at)
SELECT 'strategy', name, version, sha256, component, signature, publisher, published_at,
    published_by, withdrawn_at
FROM strategies;

DROP TABLE strategies;
