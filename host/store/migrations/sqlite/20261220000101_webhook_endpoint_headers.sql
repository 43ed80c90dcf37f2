-- Static request headers of a dealer's endpoint (an ERP's API key): sent on every
-- webhook delivery to it and every action plugin request through it. A JSON array of
-- {"name", "value"} objects in the dealer's order; the server checks them before they
-- are stored. The values are secrets kept in clear, as the endpoint's secret is: they
-- must be sent, and the API never shows them back.
ALTER TABLE asm_webhook_endpoints ADD COLUMN headers TEXT NOT NULL DEFAULT '[]';
