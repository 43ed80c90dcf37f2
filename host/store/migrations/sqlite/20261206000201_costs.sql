-- Contracts and costs per page: what a dealer charges for a page of each counter, set per
-- device, per contract or per account and inherited down the tree (quire-usage resolves it).

-- An account's contracts. The dates are what the contract says; rates do not depend on them.
CREATE TABLE contracts (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    starts_on TEXT,
    ends_on TEXT,
    UNIQUE (account_id, name)
);

-- The contract a device is on, at most one: of the device's account or one of its ancestors.
ALTER TABLE devices ADD COLUMN contract_id INTEGER REFERENCES contracts (id);
CREATE INDEX devices_by_contract ON devices (contract_id);

-- A cost per page of one counter at exactly one scope. The cost is its decimal text
-- (`0.0085`): exact, and read back alike on both backends.
CREATE TABLE rates (
    device_id INTEGER REFERENCES devices (id),
    contract_id INTEGER REFERENCES contracts (id),
    account_id INTEGER REFERENCES accounts (id),
    counter TEXT NOT NULL,
    cost_per_page TEXT NOT NULL,
    CHECK ((CASE WHEN device_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN contract_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN account_id IS NULL THEN 0 ELSE 1 END) = 1)
);
CREATE UNIQUE INDEX rates_of_devices ON rates (device_id, counter) WHERE device_id IS NOT NULL;
CREATE UNIQUE INDEX rates_of_contracts ON rates (contract_id, counter) WHERE contract_id IS NOT NULL;
CREATE UNIQUE INDEX rates_of_accounts ON rates (account_id, counter) WHERE account_id IS NOT NULL;
