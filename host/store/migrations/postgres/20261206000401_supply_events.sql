-- What a dealer records about a device's supplies beyond its readings: cartridges ordered
-- and shipped for a supply position, and the pages each part number is rated for.

-- A supply position is its kind and colour as the device reports them (lower-case) and
-- its rank among the device's supplies of that kind and colour, as quire-usage names it.
-- kind is `ordered` or `shipped`.
CREATE TABLE supply_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id BIGINT NOT NULL REFERENCES devices (id),
    supply_kind TEXT NOT NULL,
    supply_color TEXT,
    supply_rank BIGINT NOT NULL,
    kind TEXT NOT NULL,
    part_number TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    happened_at TIMESTAMPTZ NOT NULL,
    note TEXT,
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX supply_events_by_device ON supply_events (device_id, happened_at, id);

-- The pages a part number is rated for (ISO/IEC 19752 or 19798), as an account sets them.
CREATE TABLE rated_yields (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    part_number TEXT NOT NULL,
    rated_pages BIGINT NOT NULL,
    PRIMARY KEY (account_id, part_number)
);
