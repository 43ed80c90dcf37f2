-- The agent's own database: readings waiting for the server, and what the agent must
-- remember across restarts.

-- Readings in the order they were taken. AUTOINCREMENT (not a plain rowid) so a number
-- is never handed out twice, even after the newest rows were acknowledged and deleted:
-- the server files each (agent, seq) once, so a reused number would be a lost reading.
CREATE TABLE queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The UploadItem as JSON; its seq is the column above.
    item TEXT NOT NULL
);

-- Single values by name: the enrollment, the last configuration fetched.
CREATE TABLE state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The printing devices discovery found, one row per device (serial + MAC), wherever it
-- answers, so the meters and alert cycles know whom to read and with which credentials.
CREATE TABLE devices (
    key TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    site_id INTEGER NOT NULL,
    part TEXT,
    credential INTEGER NOT NULL,
    -- The supplies of the last reading that had any (JSON), to tell a new cartridge.
    supplies TEXT NOT NULL DEFAULT '[]',
    seen_at TEXT NOT NULL
);
