-- ASM's part costs and e-mail templates (issue 16): the suppliers an administrator
-- manages, the part costs each supplier and each dealer sets, ASM's global settings
-- (the consumable cost setting among them), and each dealer's own e-mail templates.
-- A cost is its decimal text (`89.90`): exact, and read back alike on both backends.

CREATE TABLE suppliers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- Part numbers are distinct per owner ignoring case, which the API checks; the upper-case
-- index is what e-mails look a part up by.
CREATE TABLE supplier_part_costs (
    supplier_id INTEGER NOT NULL REFERENCES suppliers (id),
    part_number TEXT NOT NULL,
    cost TEXT NOT NULL,
    PRIMARY KEY (supplier_id, part_number)
);
CREATE INDEX supplier_part_costs_by_part ON supplier_part_costs (UPPER(part_number));

CREATE TABLE dealer_part_costs (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    part_number TEXT NOT NULL,
    cost TEXT NOT NULL,
    PRIMARY KEY (account_id, part_number)
);
CREATE INDEX dealer_part_costs_by_part ON dealer_part_costs (UPPER(part_number));

-- One row per named setting; the engine (`quire-asm`) owns the meaning of each body.
CREATE TABLE asm_settings (
    name TEXT PRIMARY KEY,
    body TEXT NOT NULL
);

-- A dealer's own template of one kind (consumable-alert, service-alert, redirect); a
-- dealer without one uses its nearest dealer above's, else the built-in one.
CREATE TABLE asm_email_templates (
    dealer_account_id INTEGER NOT NULL REFERENCES accounts (id),
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (dealer_account_id, kind)
);
