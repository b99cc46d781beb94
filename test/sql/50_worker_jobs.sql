SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;

-- run_job: unknown names are refused with the list of valid ones
SELECT cognomega.run_job('vacuum');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.run_job('');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.run_job('STATS');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.run_job(NULL) IS NULL AS null_in_null_out;

-- cache_sweep runs in this session and says what it did
SELECT COALESCE((SELECT runs FROM cognomega.job_status
                  WHERE database = current_database() AND job = 'cache_sweep'), 0) AS runs0 \gset
SELECT cognomega.run_job('cache_sweep') ~ '^cache_sweep: [0-9]+ expired entries removed$' AS swept;

-- and job_status records it for this database (no worker here: no next_run, no pid)
SELECT job, last_status, last_error, runs - :runs0 AS new_runs, failures,
       last_start <= last_end AS ordered, next_run, worker_pid
  FROM cognomega.job_status
 WHERE database = current_database() AND job = 'cache_sweep';
SELECT cognomega.run_job('cache_sweep') IS NOT NULL AS again;
SELECT runs - :runs0 AS new_runs FROM cognomega.job_status
 WHERE database = current_database() AND job = 'cache_sweep';

-- the view's shape
SELECT attname, atttypid::regtype
  FROM pg_attribute
 WHERE attrelid = 'cognomega.job_status'::regclass AND attnum > 0
 ORDER BY attnum;

-- administrative: not for PUBLIC; job_status for pg_monitor
CREATE ROLE wk_app;
CREATE ROLE wk_monitor IN ROLE pg_monitor;
SET ROLE wk_app;
SELECT cognomega.run_job('cache_sweep');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM cognomega.job_status;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM cognomega.stats_history;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM cognomega.alerts;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE wk_monitor;
SELECT count(*) > 0 AS monitor_sees_jobs FROM cognomega.job_status;
SELECT count(*) >= 0 AS monitor_sees_alerts FROM cognomega.alerts;
SELECT cognomega.run_job('cache_sweep');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- a role granted run_job runs jobs with its own privileges
GRANT EXECUTE ON FUNCTION cognomega.run_job(text) TO wk_app;
SET ROLE wk_app;
SELECT cognomega.run_job('cache_sweep') ~ '^cache_sweep: ' AS granted_sweep;
RESET ROLE;
REVOKE EXECUTE ON FUNCTION cognomega.run_job(text) FROM wk_app;
DROP ROLE wk_app;
DROP ROLE wk_monitor;

-- the GUCs the jobs read are reloadable, not session-settable
SET cognomega.stats_interval = 5;
\echo :LAST_ERROR_SQLSTATE
SHOW cognomega.cache_sweep_interval;
SHOW cognomega.maintenance_interval;
SHOW cognomega.stats_interval;
SHOW cognomega.stats_retention;
SHOW cognomega.alert_cache_hit_ratio;
SHOW cognomega.maintenance_lock_timeout;
SHOW cognomega.worker_role;

-- alerts: one open alert per (kind, subject) is enforced by the table itself
INSERT INTO cognomega.alerts (kind, subject) VALUES ('WK_TEST', 'x');
INSERT INTO cognomega.alerts (kind, subject) VALUES ('WK_TEST', 'x');
\echo :LAST_ERROR_SQLSTATE
UPDATE cognomega.alerts SET resolved_at = now() WHERE kind = 'WK_TEST';
INSERT INTO cognomega.alerts (kind, subject) VALUES ('WK_TEST', 'x');
SELECT count(*) AS total, count(*) FILTER (WHERE resolved_at IS NULL) AS open
  FROM cognomega.alerts WHERE kind = 'WK_TEST';
DELETE FROM cognomega.alerts WHERE kind = 'WK_TEST';

-- rates between stats rows; counters going backwards give NULL, not a negative rate
SELECT cognomega.rate_between(150, 100, interval '10 seconds') AS rate,
       cognomega.rate_between(50, 100, interval '10 seconds') AS after_reset,
       cognomega.rate_between(150, NULL, interval '10 seconds') AS first_row,
       cognomega.rate_between(9223372036854775807, -9223372036854775808, interval '1 second') AS widest;
