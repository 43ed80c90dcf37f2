-- The e-mails the server sends (ASM's e-mail actions), kept before, while and after they
-- are delivered: the outbox the mailer works from and the e-mail history people read.

-- idempotency_key: set by whoever queues, so queueing the same e-mail again (a tick that
-- crashed after queueing) finds this row instead of sending twice; NULL for none.
-- account_id: the account the e-mail is about; NULL for one of no account (administrators
-- only see those). from_address: NULL sends as the server's configured sender.
-- to_addresses and redirected_from are JSON lists of addresses; redirected_from holds the
-- recipients ASM meant before it redirected the e-mail (to the dealer admin), with why.
-- status is `queued`, `sent` or `failed`; a queued e-mail is tried at next_attempt_at.
CREATE TABLE email_outbox (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT UNIQUE,
    account_id INTEGER REFERENCES accounts (id),
    from_address TEXT,
    to_addresses TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    redirected_from TEXT,
    redirect_reason TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    failed_at TEXT
);
CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at, id);
CREATE INDEX email_outbox_by_account ON email_outbox (account_id, id);
