-- ASM (issue 16): the alert definitions dealers write, and what the scheduler keeps
-- between ticks. The engine (`quire-asm`) owns the meaning of every `body`; the store
-- keeps them as JSON with the columns it selects and orders by beside them.

-- A definition is never removed while events refer to it: deleting sets deleted_at, and
-- the next tick archives its open events.
CREATE TABLE asm_definitions (
    id INTEGER PRIMARY KEY,
    owner_account_id INTEGER NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX asm_definitions_by_owner ON asm_definitions (owner_account_id);

-- One row per alert event, open or archived. trigger_key is the event key's trigger as
-- text (`consumable:toner:black`, `error-state:paper-jam`); at most one open event per key.
CREATE TABLE asm_events (
    id INTEGER PRIMARY KEY,
    definition_id INTEGER NOT NULL REFERENCES asm_definitions (id),
    device_id INTEGER NOT NULL REFERENCES devices (id),
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    trigger_key TEXT NOT NULL,
    is_open BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    first_triggered_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX asm_events_one_open ON asm_events (definition_id, device_id, trigger_key) WHERE is_open;
CREATE INDEX asm_events_by_account ON asm_events (account_id, id);

-- Keys whose event was answered and must not trigger again while their condition lasts.
CREATE TABLE asm_settled (
    definition_id INTEGER NOT NULL REFERENCES asm_definitions (id),
    device_id INTEGER NOT NULL REFERENCES devices (id),
    trigger_key TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (definition_id, device_id, trigger_key)
);

-- When each (account, action result type) pool was last invoked, for alert frequencies.
CREATE TABLE asm_pools (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    result_type TEXT NOT NULL,
    last_invoked_at TEXT NOT NULL,
    PRIMARY KEY (account_id, result_type)
);

-- Every invocation and redirect a tick decided, recorded in the tick's transaction
-- before it is carried out: a restart carries out what has no carried_out_at, and the
-- idempotency key makes a decision recorded twice one row. reported_at is when the
-- engine took in the outcome (an e-mail's, once the mailer sent it or gave up).
CREATE TABLE asm_journal (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    event_id INTEGER NOT NULL REFERENCES asm_events (id),
    decided_at TEXT NOT NULL,
    decision TEXT NOT NULL,
    carried_out_at TEXT,
    outcome TEXT,
    reported_at TEXT
);
CREATE INDEX asm_journal_pending ON asm_journal (id) WHERE carried_out_at IS NULL;

-- Users' approvals and rejections, taken in by the next tick: the scheduler is the only
-- writer of an event's body, so an answer never races a tick.
CREATE TABLE asm_answers (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES asm_events (id),
    approve BOOLEAN NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    answered_at TEXT NOT NULL,
    taken_at TEXT
);
CREATE INDEX asm_answers_waiting ON asm_answers (id) WHERE taken_at IS NULL;

-- Who ASM's results reach. role is a dealer's primary contact (admin, support, service,
-- supplies, billing), `account-primary` for an account's primary contact, or NULL for
-- an alternate contact; an account's contacts are replaced together.
CREATE TABLE asm_contacts (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    role TEXT,
    name TEXT NOT NULL,
    email TEXT NOT NULL
);
CREATE INDEX asm_contacts_by_account ON asm_contacts (account_id);

-- Alerts processing behaviour: per dealer and action result type, who receives.
CREATE TABLE asm_behaviours (
    dealer_account_id INTEGER NOT NULL REFERENCES accounts (id),
    result_type TEXT NOT NULL,
    recipients TEXT NOT NULL,
    PRIMARY KEY (dealer_account_id, result_type)
);
