-- Malfunctions: what each reading's strategy (`map-error`) made of its alert rows and
-- error-state bits, and the conditions each device shows now. Times are UTC.

-- One row per input of a reading version: an alert row (`input_kind` 'alert', its row
-- index on the device) or an error-state bit ('state', the bit's number). Either the
-- assessment's columns are set, or `failure` says why the strategy could not judge it.
-- Deleting a reading deletes its assessments.
CREATE TABLE reading_assessments (
    reading_id BIGINT NOT NULL REFERENCES readings (id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    device_id BIGINT NOT NULL REFERENCES devices (id),
    input_kind TEXT NOT NULL,
    input_index BIGINT NOT NULL,
    state TEXT,
    error_group TEXT,
    severity TEXT,
    skill TEXT,
    field_service BOOLEAN,
    estimated_minutes BIGINT,
    failure TEXT,
    PRIMARY KEY (reading_id, version, input_kind, input_index)
);

-- The latest reading of each device that read its alert table (discovery and alert
-- cycles): conditions follow only readings newer than this, so one delivered late
-- cannot bring back a cleared jam. A high-water mark, not a reference.
CREATE TABLE device_alert_readings (
    device_id BIGINT PRIMARY KEY REFERENCES devices (id),
    reading_id BIGINT NOT NULL,
    taken_at TIMESTAMPTZ NOT NULL
);

-- The ASM error states (warning or critical) a device's latest alert-bearing reading
-- shows, each since the first reading of its unbroken run; the maintenance dashboard
-- reads these. `inputs` is the JSON list of the inputs assessed so; skill, field
-- service, severity and minutes are the most demanding of theirs.
CREATE TABLE device_conditions (
    device_id BIGINT NOT NULL REFERENCES devices (id),
    state TEXT NOT NULL,
    error_group TEXT NOT NULL,
    severity TEXT NOT NULL,
    skill TEXT NOT NULL,
    field_service BOOLEAN NOT NULL,
    estimated_minutes BIGINT NOT NULL,
    inputs TEXT NOT NULL,
    since TIMESTAMPTZ NOT NULL,
    since_reading_id BIGINT REFERENCES readings (id) ON DELETE SET NULL,
    reading_id BIGINT REFERENCES readings (id) ON DELETE SET NULL,
    PRIMARY KEY (device_id, state)
);
CREATE INDEX device_conditions_by_since ON device_conditions (since, device_id, state);
