-- ASM's webhook actions (issue 16): the endpoints dealers configure, and every delivery
-- to them, kept before, while and after it is delivered, like the e-mail outbox.

-- An endpoint belongs to a dealer account. secret is the HMAC-SHA256 key the server
-- signs each delivery with: kept as given out (it must sign), shown to the dealer once
-- when generated and never listed back. Deleting sets deleted_at: deliveries refer to it.
CREATE TABLE asm_webhook_endpoints (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    secret_rotated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX asm_webhook_endpoints_by_account ON asm_webhook_endpoints (account_id, id);

-- One delivery per ASM decision: idempotency_key is the decision's, so carrying a
-- journal entry out twice (a crash between queueing and marking it done) queues one.
-- body is the JSON POSTed, fixed when queued. status is `queued`, `delivered` or
-- `failed`; a queued delivery is tried at next_attempt_at. last_status is the HTTP
-- status of the last answer, last_error why the last failed attempt failed.
CREATE TABLE asm_webhook_deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    endpoint_id BIGINT NOT NULL REFERENCES asm_webhook_endpoints (id),
    event_id BIGINT NOT NULL REFERENCES asm_events (id),
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_status BIGINT,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ,
    failed_at TIMESTAMPTZ
);
CREATE INDEX asm_webhook_deliveries_due ON asm_webhook_deliveries (status, next_attempt_at, id);
CREATE INDEX asm_webhook_deliveries_by_endpoint ON asm_webhook_deliveries (endpoint_id, id);
