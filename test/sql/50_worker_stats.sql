SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;

-- The stats and partition_maintenance jobs run in this session via run_job.
-- Other tests' objects live in this database too, so only our own subjects
-- (schema wk) are looked at.
CREATE SCHEMA wk;

-- stats: one row per run; stats_history becomes a managed table on the first
SELECT cognomega.run_job('stats') ~ '^stats: 1 row recorded, alerts: ' AS recorded;
SELECT part_interval, premake, retention
  FROM cognomega.part_config WHERE parent = 'cognomega.stats_history'::regclass;
SELECT (SELECT count(*) FROM cognomega.show_partitions('cognomega.stats_history')) >= 5 AS premade;
SELECT count(*) AS rows_before FROM cognomega.stats_history \gset
SELECT cognomega.run_job('stats') IS NOT NULL AS again;
SELECT count(*) - :rows_before AS new_rows FROM cognomega.stats_history;

-- the row carries what docs/workers.md lists; counters are cumulative
SELECT database_size > 0 AS db_size,
       xact_commit > 0 AS commits, xact_rollback >= 0 AS rollbacks,
       temp_bytes >= 0 AS temp_bytes,
       connections ? 'active' AS my_connection_counted, connections_total >= 1 AS conns,
       managed_tables ? 'cognomega.stats_history' AS managed_listed,
       (managed_tables -> 'cognomega.stats_history' ->> 'size')::bigint > 0 AS managed_size,
       managed_tables -> 'cognomega.stats_history' ? 'dead_tuples' AS dead_tuples,
       managed_tables -> 'cognomega.stats_history' ? 'rows_in_default' AS rows_in_default
  FROM cognomega.stats_history ORDER BY recorded_at DESC LIMIT 1;
SELECT count(*) >= 2 AS rates, bool_and(commits_per_s IS NULL OR commits_per_s >= 0) AS non_negative
  FROM cognomega.stats_rates;

-- alerts: rows in a default partition, missing future partitions, invalid index
CREATE TABLE wk.events (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent('wk.events', 'ts', '1 day', premake => 3) > 0 AS managed;
INSERT INTO wk.events VALUES (now() - interval '1 year', 1), (now() - interval '2 years', 2);
DO $$BEGIN
  EXECUTE (SELECT format('DROP TABLE %s', partition)
             FROM cognomega.show_partitions('wk.events') ORDER BY range_start DESC LIMIT 1);
END$$;
CREATE TABLE wk.dups (a int);
INSERT INTO wk.dups VALUES (1), (1);
CREATE UNIQUE INDEX CONCURRENTLY dups_a ON wk.dups (a);
\echo :LAST_ERROR_SQLSTATE

SELECT cognomega.run_job('stats') IS NOT NULL AS ran;
SELECT kind, subject, value, threshold, resolved_at IS NULL AS open
  FROM cognomega.alerts WHERE subject LIKE 'wk.%' ORDER BY kind, subject;

-- a persisting condition keeps exactly one open alert, its value refreshed
INSERT INTO wk.events VALUES (now() - interval '3 years', 3);
SELECT cognomega.run_job('stats') IS NOT NULL AS ran;
SELECT cognomega.run_job('stats') IS NOT NULL AS ran;
SELECT kind, subject, value, resolved_at IS NULL AS open
  FROM cognomega.alerts WHERE subject LIKE 'wk.%' ORDER BY kind, subject;

-- the subjects do not depend on the search_path of whoever runs the job
-- (a worker's differs from a session's): still the same open alerts
SET search_path = wk, public;
SELECT cognomega.run_job('stats') IS NOT NULL AS ran;
RESET search_path;
SELECT kind, subject, resolved_at IS NULL AS open
  FROM cognomega.alerts WHERE subject LIKE 'wk.%' OR subject IN ('events', 'dups_a')
 ORDER BY kind, subject;
SELECT count(*) AS keys_without_schema
  FROM cognomega.stats_history h, jsonb_object_keys(h.managed_tables) k
 WHERE h.recorded_at = (SELECT max(recorded_at) FROM cognomega.stats_history)
   AND k NOT LIKE '%.%';

-- cleared conditions are resolved; the others stay open
DROP INDEX wk.dups_a;
DELETE FROM wk.events;
SELECT cognomega.run_job('stats') IS NOT NULL AS ran;
SELECT kind, subject, resolved_at IS NULL AS open, resolved_at >= raised_at AS ordered
  FROM cognomega.alerts WHERE subject LIKE 'wk.%' ORDER BY kind, subject;

-- MISSING_FUTURE_PARTITIONS is raised only when maintenance should already
-- have made the partitions: not when a boundary has just passed and the
-- parent's maintenance is not due yet.  "Maintenance ran before the
-- boundary" is simulated by moving last_maintenance back (as a superuser).
CREATE TABLE wk.tick (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent('wk.tick', 'ts', '1 day', premake => 3) AS created;
SELECT cognomega.run_job('stats') IS NOT NULL AS ran;
SELECT count(*) AS alerts_after_create_parent
  FROM cognomega.alerts WHERE subject = 'wk.tick';
-- maintained yesterday (its window then ended with today + 2), due every
-- 2 days: one boundary behind, not a fault
DO $$BEGIN
  EXECUTE (SELECT format('DROP TABLE %s', partition)
             FROM cognomega.show_partitions('wk.tick') ORDER BY range_start DESC LIMIT 1);
END$$;
UPDATE cognomega.part_config
   SET last_maintenance = now() - interval '1 day', maintenance_interval = '2 days'
 WHERE parent = 'wk.tick'::regclass;
SELECT premade_ahead FROM cognomega.partition_status WHERE parent = 'wk.tick'::regclass;
SELECT cognomega.run_job('stats') IS NOT NULL AS ran;
SELECT count(*) AS alerts_one_boundary_behind
  FROM cognomega.alerts WHERE subject = 'wk.tick';
-- the same state with maintenance overdue (due every hour): raised
UPDATE cognomega.part_config SET maintenance_interval = '1 hour'
 WHERE parent = 'wk.tick'::regclass;
SELECT cognomega.run_job('stats') IS NOT NULL AS ran;
SELECT kind, value, threshold, resolved_at IS NULL AS open
  FROM cognomega.alerts WHERE subject = 'wk.tick' ORDER BY id;
-- not overdue again, but the last maintenance (now) failed and did not make
-- the partition: still raised (one alert)
UPDATE cognomega.part_config
   SET maintenance_interval = '2 days', last_maintenance = now(),
       last_error = 'canceling statement due to lock timeout'
 WHERE parent = 'wk.tick'::regclass;
SELECT cognomega.run_job('stats') IS NOT NULL AS ran;
SELECT kind, value, threshold, resolved_at IS NULL AS open
  FROM cognomega.alerts WHERE subject = 'wk.tick' ORDER BY id;
-- maintenance that succeeds makes the partitions and resolves it
SELECT count(*) AS created FROM cognomega.run_maintenance('wk.tick');
SELECT last_error, premade_ahead
  FROM cognomega.part_config JOIN cognomega.partition_status USING (parent)
 WHERE parent = 'wk.tick'::regclass;
SELECT cognomega.run_job('stats') IS NOT NULL AS ran;
SELECT kind, value, resolved_at IS NOT NULL AS resolved
  FROM cognomega.alerts WHERE subject = 'wk.tick' ORDER BY id;
-- one boundary behind again, and a future partition dropped on top of it:
-- more missing than the clock explains, raised at once
DO $$BEGIN
  EXECUTE (SELECT format('DROP TABLE %s', partition)
             FROM cognomega.show_partitions('wk.tick') ORDER BY range_start DESC LIMIT 1);
END$$;
UPDATE cognomega.part_config SET last_maintenance = now() - interval '1 day'
 WHERE parent = 'wk.tick'::regclass;
SELECT cognomega.run_job('stats') IS NOT NULL AS ran;
SELECT count(*) AS alerts_one_behind FROM cognomega.alerts
 WHERE subject = 'wk.tick' AND resolved_at IS NULL;
DO $$BEGIN
  EXECUTE (SELECT format('DROP TABLE %s', partition)
             FROM cognomega.show_partitions('wk.tick') ORDER BY range_start DESC LIMIT 1);
END$$;
SELECT cognomega.run_job('stats') IS NOT NULL AS ran;
SELECT kind, value, threshold FROM cognomega.alerts
 WHERE subject = 'wk.tick' AND resolved_at IS NULL;
-- never maintained (last_maintenance NULL): raised
SELECT count(*) > 0 AS created FROM cognomega.run_maintenance('wk.tick');
UPDATE cognomega.part_config SET last_maintenance = NULL
 WHERE parent = 'wk.tick'::regclass;
DO $$BEGIN
  EXECUTE (SELECT format('DROP TABLE %s', partition)
             FROM cognomega.show_partitions('wk.tick') ORDER BY range_start DESC LIMIT 1);
END$$;
SELECT cognomega.run_job('stats') IS NOT NULL AS ran;
SELECT count(*) AS alerts_never_maintained FROM cognomega.alerts
 WHERE subject = 'wk.tick' AND resolved_at IS NULL;

-- partitions shorter than the maintenance interval: several boundaries pass
-- between two runs.  10-minute partitions, premake 6, maintained 30 minutes
-- ago (its window then ended 60 minutes after that slot), due hourly: 3
-- boundaries behind, no alert.  (premade_ahead is not printed: it moves
-- every 10 minutes; the verdict does not.)
CREATE TABLE wk.fine (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent('wk.fine', 'ts', '10 minutes', premake => 6,
                               start_at => now() - interval '1 hour') > 0 AS managed;
UPDATE cognomega.part_config
   SET last_maintenance = now() - interval '30 minutes', maintenance_interval = '1 hour'
 WHERE parent = 'wk.fine'::regclass;
DO $$
DECLARE p regclass;
BEGIN
  FOR p IN SELECT partition FROM cognomega.show_partitions('wk.fine')
            WHERE range_start > (SELECT max(range_start) FROM cognomega.show_partitions('wk.fine')
                                  WHERE range_start <= now()) + interval '30 minutes'
  LOOP
    EXECUTE format('DROP TABLE %s', p);
  END LOOP;
END$$;
SELECT premade_ahead < 6 - 1 AS more_than_one_behind
  FROM cognomega.partition_status WHERE parent = 'wk.fine'::regclass;
SELECT cognomega.run_job('stats') IS NOT NULL AS ran;
SELECT count(*) AS alerts_fine FROM cognomega.alerts WHERE subject = 'wk.fine';

-- partitions that run out before the next maintenance (premake 2 of 10
-- minutes, maintained hourly): raised even right after a maintenance, with
-- premade_ahead = premake; resolved once premake covers the interval
CREATE TABLE wk.short (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent('wk.short', 'ts', '10 minutes', premake => 2) > 0 AS managed;
UPDATE cognomega.part_config SET maintenance_interval = '1 hour'
 WHERE parent = 'wk.short'::regclass;
SELECT count(*) >= 0 AS maintained FROM cognomega.run_maintenance('wk.short');
SELECT cognomega.run_job('stats') IS NOT NULL AS ran;
SELECT kind, threshold, resolved_at IS NULL AS open
  FROM cognomega.alerts WHERE subject = 'wk.short';
UPDATE cognomega.part_config SET premake = 7 WHERE parent = 'wk.short'::regclass;
SELECT count(*) > 0 AS created FROM cognomega.run_maintenance('wk.short');
SELECT cognomega.run_job('stats') IS NOT NULL AS ran;
SELECT kind, resolved_at IS NOT NULL AS resolved
  FROM cognomega.alerts WHERE subject = 'wk.short';
SELECT cognomega.undo_parent('wk.short');

-- partition_maintenance through run_job runs now, for every managed parent:
-- a parent just registered (create_parent sets last_maintenance) or with its
-- own long interval is maintained too.  The worker's schedule is what honours
-- each parent's interval (test/t/050_workers.pl).
SELECT cognomega.run_job('partition_maintenance') ~ '^partition_maintenance: [0-9]+ parents maintained, [0-9]+ actions, [0-9]+ failed$' AS summary;
SELECT premade_ahead FROM cognomega.partition_status WHERE parent = 'wk.events'::regclass;
CREATE TABLE wk.later (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent('wk.later', 'ts', '1 day', premake => 2) > 0 AS managed;
INSERT INTO wk.later VALUES (now() - interval '1 year');
SELECT cognomega.run_job('partition_maintenance') IS NOT NULL AS ran;
SELECT rows_in_default FROM cognomega.partition_status WHERE parent = 'wk.later'::regclass;
-- not due for the worker: maintained yesterday, every week; run_job maintains it
UPDATE cognomega.part_config
   SET maintenance_interval = '7 days', last_maintenance = now() - interval '1 day'
 WHERE parent = 'wk.later'::regclass;
INSERT INTO wk.later VALUES (now() - interval '2 years');
SELECT cognomega.run_job('partition_maintenance') IS NOT NULL AS ran;
SELECT last_maintenance > now() - interval '1 minute' AS maintained
  FROM cognomega.part_config WHERE parent = 'wk.later'::regclass;
SELECT rows_in_default FROM cognomega.partition_status WHERE parent = 'wk.later'::regclass;
DELETE FROM wk.later;

-- a parent dropped behind our back: its error is reported, the others are maintained
CREATE TABLE wk.doomed (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent('wk.doomed', 'ts', '1 day') > 0 AS managed;
SELECT 'wk.doomed'::regclass::oid AS doomed \gset
UPDATE cognomega.part_config SET last_maintenance = NULL
 WHERE parent IN ('wk.doomed'::regclass, 'wk.later'::regclass);
-- behind our back: without the event trigger that forgets dropped parents
ALTER EVENT TRIGGER cognomega_forget_dropped_parents DISABLE;
DROP TABLE wk.doomed;
ALTER EVENT TRIGGER cognomega_forget_dropped_parents ENABLE ALWAYS;
SET client_min_messages = error;	-- its WARNING names the OID
SELECT cognomega.run_job('partition_maintenance') ~ ', [1-9][0-9]* failed$' AS reports_failure;
RESET client_min_messages;
SELECT last_status, last_error ~ 'does not exist' AS error_visible, failures > 0 AS counted
  FROM cognomega.job_status
 WHERE database = current_database() AND job = 'partition_maintenance';
SELECT last_maintenance > now() - interval '1 minute' AS other_parent_maintained
  FROM cognomega.part_config WHERE parent = 'wk.later'::regclass;
SELECT cognomega.undo_parent(:doomed);
SELECT cognomega.run_job('partition_maintenance') ~ ', 0 failed$' AS recovered;
SELECT last_status, last_error FROM cognomega.job_status
 WHERE database = current_database() AND job = 'partition_maintenance';

SELECT cognomega.undo_parent('wk.events');
SELECT cognomega.undo_parent('wk.later');
SELECT cognomega.undo_parent('wk.tick');
SELECT cognomega.undo_parent('wk.fine');
DROP SCHEMA wk CASCADE;
