-- Work orders and the service settings they are priced and closed by. Money is decimal
-- text (`12.50`), kept exactly on both backends; no SQL does arithmetic on it.

-- An account's own settings; NULL inherits from the nearest account above that sets it.
-- Labour rates are per hour, per skill level.
CREATE TABLE service_settings (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id),
    rate_anyone TEXT,
    rate_key_operator TEXT,
    rate_technician TEXT,
    rate_specialist TEXT,
    auto_close BOOLEAN
);

-- status is `open`, `assigned`, `done` or `cancelled`. The order keeps the assessment
-- it was created from, and its estimate as priced then.
CREATE TABLE work_orders (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    device_id BIGINT NOT NULL REFERENCES devices (id),
    reading_id BIGINT REFERENCES readings (id) ON DELETE SET NULL,
    input_kind TEXT NOT NULL,
    input_index BIGINT NOT NULL,
    state TEXT NOT NULL,
    error_group TEXT NOT NULL,
    severity TEXT NOT NULL,
    skill TEXT NOT NULL,
    field_service BOOLEAN NOT NULL,
    estimated_minutes BIGINT NOT NULL,
    labour_rate TEXT,
    labour_cost TEXT,
    parts_cost TEXT NOT NULL,
    estimate TEXT,
    note TEXT,
    status TEXT NOT NULL,
    assignee_id BIGINT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX work_orders_by_account ON work_orders (account_id, id);
CREATE INDEX work_orders_by_device_state ON work_orders (device_id, state, status);

CREATE TABLE work_order_parts (
    work_order_id BIGINT NOT NULL REFERENCES work_orders (id),
    position BIGINT NOT NULL,
    part_number TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    unit_cost TEXT NOT NULL,
    PRIMARY KEY (work_order_id, position)
);

-- Every change of an order, the creation first: who (a user, or NULL for the system),
-- when, and the status and assignee it left.
CREATE TABLE work_order_history (
    work_order_id BIGINT NOT NULL REFERENCES work_orders (id),
    seq BIGINT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    user_id BIGINT REFERENCES users (id),
    status TEXT NOT NULL,
    assignee_id BIGINT REFERENCES users (id),
    note TEXT,
    PRIMARY KEY (work_order_id, seq)
);
