-- The fleet and device lists filter by the strategy that made each device's latest
-- reading (the console's strategies page links each strategy to its devices); without
-- this the filter reads every device row of the fleet.
CREATE INDEX devices_by_strategy ON devices (strategy_name, id);
