-- Supply forecasts (issue 15), recomputed with the calculated values: one row per supply
-- position of a device, as the last pass found it. `empty_on` is a column so "what runs
-- out before this date" is one indexed query; `detail` is the forecast or the refusal
-- with its reason, as JSON the server writes and reads.
CREATE TABLE supply_forecasts (
    device_id BIGINT NOT NULL REFERENCES devices (id),
    idx BIGINT NOT NULL,
    computed_at TIMESTAMPTZ NOT NULL,
    empty_on TIMESTAMPTZ,
    detail JSONB NOT NULL,
    PRIMARY KEY (device_id, idx)
);

CREATE INDEX supply_forecasts_by_empty_on ON supply_forecasts (empty_on) WHERE empty_on IS NOT NULL;
