-- The fleet list counts each listed device's open ASM events; the only index over open
-- events leads with the definition, so without this every row would scan them all.
CREATE INDEX asm_events_open_by_device ON asm_events (device_id) WHERE is_open;
