-- Users an administrator manages (issue 18): a disabled user cannot log in and has no
-- session, and names are told apart without regard to case (`Admin` is `admin`).

ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;

-- Names that differ only by case: the oldest user keeps the name, each later one is
-- renamed `NAME-ID` (its id), so nobody loses their account or their history; an
-- administrator tells them their new login name.
UPDATE users SET name = name || '-' || id
WHERE EXISTS (
    SELECT 1 FROM users AS older
    WHERE lower(older.name) = lower(users.name) AND older.id < users.id
);

CREATE UNIQUE INDEX users_by_folded_name ON users (lower(name));

-- Sessions are listed per user.
CREATE INDEX sessions_by_user ON sessions (user_id, expires_at);
