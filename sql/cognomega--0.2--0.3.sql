-- cognomega 0.2 -> 0.3
\echo Use "ALTER EXTENSION cognomega UPDATE TO '0.3'" to load this file. \quit

-- Every change made to sql/src since 0.2 is repeated here, in the order of
-- sql/src; test/t/012_upgrade.pl checks that 0.2 + this script equals a
-- fresh 0.3.

-- part_config.last_error is readable by pg_monitor, not PUBLIC (issue 21.5)
REVOKE SELECT ON cognomega.part_config FROM PUBLIC;
GRANT SELECT (parent, control, part_interval, premake, retention, retention_keep_table,
	time_zone, maintenance_interval, last_maintenance, created_at)
	ON cognomega.part_config TO PUBLIC;
GRANT SELECT ON cognomega.part_config TO pg_monitor;
