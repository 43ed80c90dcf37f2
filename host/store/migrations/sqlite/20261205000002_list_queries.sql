-- What the API's lists filter and page on, answered in SQL.

-- hrDeviceStatus of the device's latest reading (`running`, `warning`, `testing`, `down`,
-- `unknown`), so the device list filters on it without opening readings.
ALTER TABLE devices ADD COLUMN status TEXT;
UPDATE devices SET status = (
    SELECT json_extract(r.reading, '$.status.device') FROM readings r
    WHERE r.device_id = devices.id ORDER BY r.taken_at DESC, r.id DESC LIMIT 1
);

-- The visibility CTE walks the tree downward from granted dealers.
CREATE INDEX accounts_by_parent ON accounts (parent_id);
-- A page of an account's (or a subtree's) devices in id order.
CREATE INDEX devices_by_account ON devices (account_id, id);
CREATE INDEX devices_by_site ON devices (site_id);
CREATE INDEX agents_by_account ON agents (account_id, enrolled_at);
