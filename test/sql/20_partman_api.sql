-- The partition management API: create_parent, show_partitions,
-- run_maintenance, undo_parent, part_config, partition_status.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;
CREATE SCHEMA pm_api;
SET search_path = pm_api;
SET TimeZone = 'UTC';

-- a parent with an index, a check constraint and a privilege
CREATE TABLE events (id bigint, created_at timestamptz NOT NULL, kind text CHECK (kind <> ''))
	PARTITION BY RANGE (created_at);
CREATE INDEX events_created_at ON events (created_at);

-- start_at in the future: partitions from its month through premake more
SELECT cognomega.create_parent('events', 'created_at', '1 month', 3, '2100-02-17 12:00+00');
SELECT * FROM cognomega.show_partitions('events');
-- the default partition exists and is not listed
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'events'::regclass ORDER BY 1;
-- PostgreSQL propagated the index and the constraint
SELECT count(*) AS partition_indexes FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'events_created_at'::regclass;
INSERT INTO events VALUES (1, '2100-03-05', '');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO events VALUES (1, '2100-03-05', 'click');
SELECT tableoid::regclass, id FROM events;

-- part_config: one row with the given settings and the defaults
SELECT parent, control, part_interval, premake, retention, retention_keep_table,
	   time_zone, maintenance_interval, last_maintenance IS NOT NULL AS maintained, last_error
FROM cognomega.part_config WHERE parent = 'events'::regclass;

-- maintenance keeps premake partitions ahead of now: from the current month
SELECT action, count(*) FROM cognomega.run_maintenance('events') GROUP BY action;
SELECT count(*) = 4 AS current_and_three_ahead
FROM cognomega.show_partitions('events')
WHERE range_start >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
  AND range_start < '2100-01-01';
-- and a second run has nothing to do
SELECT * FROM cognomega.run_maintenance('events');
SELECT count(*) FROM cognomega.run_maintenance() WHERE parent = 'events'::regclass;

-- a premade partition dropped by hand comes back
DO $$
DECLARE p regclass;
BEGIN
	SELECT partition INTO p FROM cognomega.show_partitions('pm_api.events')
	WHERE range_start > now() AND range_start < '2100-01-01' ORDER BY range_start DESC LIMIT 1;
	EXECUTE format('DROP TABLE %s', p);
END $$;
SELECT action, count(*) FROM cognomega.run_maintenance('events') GROUP BY action;

-- partition_status: what needs attention
SELECT parent, partitions, rows_in_default, premade_ahead >= 3 AS enough_ahead,
	   last_maintenance IS NOT NULL AS maintained, needs_attention
FROM cognomega.partition_status WHERE parent = 'events'::regclass;
UPDATE cognomega.part_config SET premake = 10 WHERE parent = 'events'::regclass;
INSERT INTO events VALUES (2, '1999-12-31 23:00+00', 'late');
SELECT rows_in_default, needs_attention
FROM cognomega.partition_status WHERE parent = 'events'::regclass;
SELECT action, count(*) FROM cognomega.run_maintenance('events') GROUP BY action ORDER BY 1;
SELECT rows_in_default, premade_ahead >= 10 AS enough_ahead, needs_attention
FROM cognomega.partition_status WHERE parent = 'events'::regclass;
SELECT tableoid::regclass, id FROM events WHERE id = 2;

-- a date key, daily, and a timestamp key, hourly
CREATE TABLE days (d date NOT NULL, v int) PARTITION BY RANGE (d);
SELECT cognomega.create_parent('days', 'd', '1 day', 2, '2100-01-30');
SELECT partition, range_start, range_end FROM cognomega.show_partitions('days');
-- hours that make whole days are days on a date key
CREATE TABLE days48 (d date NOT NULL) PARTITION BY RANGE (d);
SELECT cognomega.create_parent('days48', 'd', '48 hours', 1, '2100-01-30');
SELECT partition, range_start, range_end FROM cognomega.show_partitions('days48');
CREATE TABLE hours (ts timestamp NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent('hours', 'ts', '6 hours', 3, '2100-01-01 13:30');
SELECT partition, range_start, range_end FROM cognomega.show_partitions('hours');
-- weekly slots start on Mondays, quarterly ones in January, April, ...
CREATE TABLE weeks (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent('weeks', 'ts', '1 week', 1, '2100-01-01');
SELECT partition, to_char(range_start, 'Dy YYYY-MM-DD') FROM cognomega.show_partitions('weeks');
CREATE TABLE quarters (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent('quarters', 'ts', '3 months', 1, '2100-05-20');
SELECT partition, range_start, range_end FROM cognomega.show_partitions('quarters');

-- a partition made by hand that straddles slots: the slots are clipped to the gaps
CREATE TABLE manual (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
CREATE TABLE manual_odd PARTITION OF manual FOR VALUES FROM ('2100-01-10+00') TO ('2100-02-05+00');
SELECT cognomega.create_parent('manual', 'ts', '1 month', 2, '2100-01-01');
SELECT partition, range_start, range_end FROM cognomega.show_partitions('manual');

-- show_partitions works on any RANGE-partitioned table, managed or not
CREATE TABLE unmanaged (ts timestamptz) PARTITION BY RANGE (ts);
CREATE TABLE unmanaged_a PARTITION OF unmanaged FOR VALUES FROM (MINVALUE) TO ('2100-01-01+00');
CREATE TABLE unmanaged_b PARTITION OF unmanaged FOR VALUES FROM ('2100-01-01+00') TO (MAXVALUE);
SELECT * FROM cognomega.show_partitions('unmanaged');

-- undo_parent stops managing and touches no data
SELECT count(*) AS partitions_before FROM pg_inherits WHERE inhparent = 'events'::regclass;
SELECT cognomega.undo_parent('events');
SELECT cognomega.undo_parent('events');
SELECT count(*) AS partitions_after FROM pg_inherits WHERE inhparent = 'events'::regclass;
SELECT count(*) AS rows_after FROM events;
SELECT count(*) FROM cognomega.part_config WHERE parent = 'events'::regclass;
-- and it can be managed again; existing partitions are kept
SELECT cognomega.create_parent('events', 'created_at', '1 month', 1, '2100-02-01') AS created_again;

-- part_config is registered for pg_dump
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) AS x(oid) JOIN pg_class c ON c.oid = x.oid
WHERE e.extname = 'cognomega' AND c.relname = 'part_config';

SELECT cognomega.undo_parent(p) FROM unnest(ARRAY['events', 'days', 'days48', 'hours', 'weeks', 'quarters', 'manual']::regclass[]) p;
RESET search_path;
RESET TimeZone;
SET client_min_messages = warning;
DROP SCHEMA pm_api CASCADE;
RESET client_min_messages;
