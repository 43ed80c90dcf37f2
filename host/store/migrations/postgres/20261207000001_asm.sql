-- ASM (issue 16): the alert definitions dealers write, and what the scheduler keeps
-- between ticks. The engine (`quire-asm`) owns the meaning of every `body`; the store
-- keeps them as JSON with the columns it selects and orders by beside them.

-- A definition is never removed while events refer to it: deleting sets deleted_at, and
-- the next tick archives its open events.
CREATE TABLE asm_definitions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_account_id BIGINT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    body JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX asm_definitions_by_owner ON asm_definitions (owner_account_id);

-- One row per alert event, open or archived. trigger_key is the event key's trigger as
-- text (`consumable:toner:black`, `error-state:paper-jam`); at most one open event per key.
CREATE TABLE asm_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    definition_id BIGINT NOT NULL REFERENCES asm_definitions (id),
    device_id BIGINT NOT NULL REFERENCES devices (id),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    trigger_key TEXT NOT NULL,
    is_open BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    first_triggered_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    body JSONB NOT NULL
);
CREATE UNIQUE INDEX asm_events_one_open ON asm_events (definition_id, device_id, trigger_key) WHERE is_open;
CREATE INDEX asm_events_by_account ON asm_events (account_id, id);

-- Keys whose event was answered and must not trigger again while their condition lasts.
CREATE TABLE asm_settled (
    definition_id BIGINT NOT NULL REFERENCES asm_definitions (id),
    device_id BIGINT NOT NULL REFERENCES devices (id),
    trigger_key TEXT NOT NULL,
    body JSONB NOT NULL,
    PRIMARY KEY (definition_id, device_id, trigger_key)
);

-- When each (account, action result type) pool was last invoked, for alert frequencies.
CREATE TABLE asm_pools (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    result_type TEXT NOT NULL,
    last_invoked_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, result_type)
);

-- Every invocation and redirect a tick decided, recorded in the tick's transaction
-- before it is carried out: a restart carries out what has no carried_out_at, and the
-- idempotency key makes a decision recorded twice one row. reported_at is when the
-- engine took in the outcome (an e-mail's, once the mailer sent it or gave up).
CREATE TABLE asm_journal (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    event_id BIGINT NOT NULL REFERENCES asm_events (id),
    decided_at TIMESTAMPTZ NOT NULL,
    decision JSONB NOT NULL,
    carried_out_at TIMESTAMPTZ,
    outcome JSONB,
    reported_at TIMESTAMPTZ
);
CREATE INDEX asm_journal_pending ON asm_journal (id) WHERE carried_out_at IS NULL;

-- Users' approvals and rejections, taken in by the next tick: the scheduler is the only
-- writer of an event's body, so an answer never races a tick.
CREATE TABLE asm_answers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES asm_events (id),
    approve BOOLEAN NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    answered_at TIMESTAMPTZ NOT NULL,
    taken_at TIMESTAMPTZ
);
CREATE INDEX asm_answers_waiting ON asm_answers (id) WHERE taken_at IS NULL;

-- Who ASM's results reach. role is a dealer's primary contact (admin, support, service,
-- supplies, billing), `account-primary` for an account's primary contact, or NULL for
-- an alternate contact; an account's contacts are replaced together.
CREATE TABLE asm_contacts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    role TEXT,
    name TEXT NOT NULL,
    email TEXT NOT NULL
);
CREATE INDEX asm_contacts_by_account ON asm_contacts (account_id);

-- Alerts processing behaviour: per dealer and action result type, who receives.
CREATE TABLE asm_behaviours (
    dealer_account_id BIGINT NOT NULL REFERENCES accounts (id),
    result_type TEXT NOT NULL,
    recipients JSONB NOT NULL,
    PRIMARY KEY (dealer_account_id, result_type)
);
