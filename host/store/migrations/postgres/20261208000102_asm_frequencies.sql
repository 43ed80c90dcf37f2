-- ASM (issue 16), alerts frequency: per account and action result type, how long after the last action
-- of that type the next may be invoked. frequency is the engine's (unit and value), as JSON.
CREATE TABLE asm_frequencies (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    result_type TEXT NOT NULL,
    frequency JSONB NOT NULL,
    PRIMARY KEY (account_id, result_type)
);
