-- Jobs without shared_preload_libraries: no workers, no shared job status;
-- cache_sweep needs the cache's shared memory, the other jobs still run in
-- the calling session (stats with NULL cache figures).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;

SELECT cognomega.run_job('cache_sweep');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.run_job('nope');
\echo :LAST_ERROR_SQLSTATE

SELECT cognomega.run_job('stats') ~ '^stats: 1 row recorded, alerts: ' AS recorded;
SELECT cache_entries, cache_hits, cache_misses, database_size > 0 AS db_size
  FROM cognomega.stats_history;
SELECT cognomega.run_job('partition_maintenance') ~ '^partition_maintenance: ' AS maintained;

-- job_status lives in shared memory: 55000 with the preload hint
SELECT count(*) FROM cognomega.job_status;
\echo :LAST_ERROR_SQLSTATE

DROP EXTENSION cognomega;
