-- cognomega 0.2 -> 0.3
\echo Use "ALTER EXTENSION cognomega UPDATE TO '0.3'" to load this file. \quit

-- Every change made to sql/src since 0.2 is repeated here, in the order of
-- sql/src; test/t/012_upgrade.pl checks that 0.2 + this script equals a
-- fresh 0.3.

-- Monitoring (issue 13): stats_history records the machine (or the
-- server's cgroup) and more counters; stats_rates turns them into rates;
-- alerts gain a severity; system_stats(); job_history.
ALTER TABLE cognomega.stats_history
	ADD COLUMN memory_used bigint,
	ADD COLUMN memory_total bigint,
	ADD COLUMN memory_source text,
	ADD COLUMN cpu_seconds double precision,
	ADD COLUMN cpu_count int,
	ADD COLUMN load_1m double precision,
	ADD COLUMN blks_hit bigint,
	ADD COLUMN blks_read bigint,
	ADD COLUMN deadlocks bigint,
	ADD COLUMN statements_calls bigint,
	ADD COLUMN statements_exec_ms double precision;

-- Rates between consecutive rows; NULL where a counter went backwards
-- (server restart, statistics or cache reset).  memory_percent is the
-- row's own; cpu_percent is the CPU time used over the window, of the
-- CPUs the server may use; mean_query_ms the mean execution time of the
-- statements pg_stat_statements saw finish in the window.
CREATE OR REPLACE VIEW cognomega.stats_rates AS
	SELECT recorded_at,
		   pg_catalog.date_part('epoch', recorded_at - prev_at) AS seconds,
		   cognomega.rate_between(xact_commit, prev_commit, recorded_at - prev_at) AS commits_per_s,
		   cognomega.rate_between(xact_rollback, prev_rollback, recorded_at - prev_at) AS rollbacks_per_s,
		   cognomega.rate_between(temp_bytes, prev_temp_bytes, recorded_at - prev_at) AS temp_bytes_per_s,
		   cognomega.rate_between(cache_hits, prev_hits, recorded_at - prev_at) AS cache_hits_per_s,
		   cognomega.rate_between(cache_misses, prev_misses, recorded_at - prev_at) AS cache_misses_per_s,
		   CASE WHEN cache_hits >= prev_hits AND cache_misses >= prev_misses
					 AND (cache_hits - prev_hits) + (cache_misses - prev_misses) > 0
				THEN (cache_hits - prev_hits)::float8
					 / ((cache_hits - prev_hits) + (cache_misses - prev_misses))
		   END AS cache_hit_ratio,
		   database_size,
		   connections_total,
		   rows_in_default,
		   CASE WHEN memory_total > 0
				THEN 100 * memory_used::float8 / memory_total
		   END AS memory_percent,
		   CASE WHEN cpu_seconds >= prev_cpu AND cpu_count > 0 AND cpu_count = prev_cpu_count
					 AND recorded_at > prev_at
				THEN 100 * (cpu_seconds - prev_cpu)
					 / (pg_catalog.date_part('epoch', recorded_at - prev_at) * cpu_count)
		   END AS cpu_percent,
		   CASE WHEN blks_hit >= prev_blks_hit AND blks_read >= prev_blks_read
					 AND (blks_hit - prev_blks_hit) + (blks_read - prev_blks_read) > 0
				THEN (blks_hit - prev_blks_hit)::float8
					 / ((blks_hit - prev_blks_hit) + (blks_read - prev_blks_read))
		   END AS buffer_hit_ratio,
		   CASE WHEN statements_calls > prev_calls AND statements_exec_ms >= prev_exec_ms
				THEN (statements_exec_ms - prev_exec_ms) / (statements_calls - prev_calls)
		   END AS mean_query_ms
	  FROM (SELECT h.*,
				   pg_catalog.lag(recorded_at) OVER w AS prev_at,
				   pg_catalog.lag(xact_commit) OVER w AS prev_commit,
				   pg_catalog.lag(xact_rollback) OVER w AS prev_rollback,
				   pg_catalog.lag(temp_bytes) OVER w AS prev_temp_bytes,
				   pg_catalog.lag(cache_hits) OVER w AS prev_hits,
				   pg_catalog.lag(cache_misses) OVER w AS prev_misses,
				   pg_catalog.lag(cpu_seconds) OVER w AS prev_cpu,
				   pg_catalog.lag(cpu_count) OVER w AS prev_cpu_count,
				   pg_catalog.lag(blks_hit) OVER w AS prev_blks_hit,
				   pg_catalog.lag(blks_read) OVER w AS prev_blks_read,
				   pg_catalog.lag(statements_calls) OVER w AS prev_calls,
				   pg_catalog.lag(statements_exec_ms) OVER w AS prev_exec_ms
			  FROM cognomega.stats_history h
			WINDOW w AS (ORDER BY recorded_at)) s;

-- (added without a default, then filled: a fast default would leave a
-- "missing value" in the catalog that a fresh install does not have)
ALTER TABLE cognomega.alerts ADD COLUMN severity text;
UPDATE cognomega.alerts SET severity = 'WARNING';
ALTER TABLE cognomega.alerts
	ALTER COLUMN severity SET DEFAULT 'WARNING',
	ALTER COLUMN severity SET NOT NULL,
	ADD CONSTRAINT alerts_severity CHECK (severity IN ('WARNING', 'CRITICAL'));
-- ---------------------------------------------------------------------
-- What the stats job reads of the machine (or the server's cgroup v2)
-- now: memory, cumulative CPU seconds, load.  NULLs where it cannot be
-- read (not Linux, files missing or malformed).
-- ---------------------------------------------------------------------
CREATE FUNCTION cognomega.system_stats(
	OUT memory_used bigint, OUT memory_total bigint, OUT memory_source text,
	OUT cpu_seconds double precision, OUT cpu_count int, OUT cpu_source text,
	OUT load_1m double precision, OUT read_at timestamptz)
RETURNS record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'cognomega_system_stats';

COMMENT ON FUNCTION cognomega.system_stats() IS
	'Memory, CPU time and load of the server''s cgroup or the machine, as the stats job records them';

REVOKE ALL ON FUNCTION cognomega.system_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cognomega.system_stats() TO pg_monitor;

-- ---------------------------------------------------------------------
-- Job history: one row per run of a job, by a worker or run_job().
-- Managed like stats_history: created bare here, registered with
-- create_parent by the first row written (daily partitions, retention
-- cognomega.job_history_retention).
-- ---------------------------------------------------------------------
CREATE TABLE cognomega.job_history (
	job			text NOT NULL,
	database	name NOT NULL,
	started_at	timestamptz NOT NULL,
	ended_at	timestamptz,
	status		text NOT NULL,
	sqlstate	text,
	message		text,
	result		text,
	by_worker	bool NOT NULL DEFAULT false
) PARTITION BY RANGE (started_at);

COMMENT ON TABLE cognomega.job_history IS
	'One row per run of a cognomega job (worker or run_job); job_status is the live view';

SELECT pg_catalog.pg_extension_config_dump('cognomega.job_history', '');

REVOKE ALL ON cognomega.job_history FROM PUBLIC;
GRANT SELECT ON cognomega.job_history TO pg_monitor;

-- job_status gains last_success (its function returns one more column)
DROP VIEW cognomega.job_status;
DROP FUNCTION cognomega.job_status_internal();
CREATE FUNCTION cognomega.job_status_internal(
	OUT job text, OUT database name,
	OUT last_start timestamptz, OUT last_end timestamptz,
	OUT last_status text, OUT last_error text,
	OUT runs bigint, OUT failures bigint, OUT next_run timestamptz,
	OUT last_result text, OUT worker_pid int, OUT last_success timestamptz)
RETURNS SETOF record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'cognomega_job_status';

CREATE VIEW cognomega.job_status AS
	SELECT job, database, last_start, last_end, last_status, last_error,
		   runs, failures, next_run, last_result, worker_pid, last_success
	  FROM cognomega.job_status_internal();

COMMENT ON VIEW cognomega.job_status IS
	'One row per (database, job) the workers or run_job() have run or scheduled';

REVOKE ALL ON FUNCTION cognomega.job_status_internal() FROM PUBLIC;
REVOKE ALL ON cognomega.job_status FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cognomega.job_status_internal() TO pg_monitor;
GRANT SELECT ON cognomega.job_status TO pg_monitor;
-- 0.3 (issue 21.4): what each role's entries occupy (cognomega.cache_role_quota): for
-- pg_monitor, not PUBLIC (it tells which roles use the cache, and how much).
CREATE FUNCTION cognomega.cache_role_stats_internal(
    OUT role oid, OUT entries bigint, OUT bytes bigint)
RETURNS SETOF record
LANGUAGE C VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_role_stats';

CREATE VIEW cognomega.cache_role_stats AS
    SELECT coalesce(r.rolname, s.role::text)::name AS role, s.entries, s.bytes
    FROM cognomega.cache_role_stats_internal() s
    LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.role;
COMMENT ON VIEW cognomega.cache_role_stats IS
    'result cache entries and bytes (chunks held) per role, against cognomega.cache_role_quota';

REVOKE ALL ON FUNCTION cognomega.cache_role_stats_internal() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cognomega.cache_role_stats_internal() TO pg_monitor;
REVOKE ALL ON cognomega.cache_role_stats FROM PUBLIC;
GRANT SELECT ON cognomega.cache_role_stats TO pg_monitor;

-- 0.3 (issue 12): key-level invalidation

-- Key-level invalidation (issue 12, DESIGN.md section 4).  A key column is
-- declared by a row trigger on our C function, the column names its
-- arguments: the trigger reports the keys of the rows a write changes, and
-- it is the declaration itself (pg_dump keeps it with its table; on a
-- partitioned table it is cloned to every partition).
CREATE FUNCTION cognomega._cache_key_trigger()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'cognomega_cache_key_trigger';
COMMENT ON FUNCTION cognomega._cache_key_trigger() IS
    'row trigger of cache_key_column: reports the keys of changed rows to the cache';

CREATE FUNCTION cognomega.cache_key_column(rel regclass, col name)
RETURNS void
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_key_column';
COMMENT ON FUNCTION cognomega.cache_key_column(regclass, name) IS
    'declare col a key column of rel (its owner only): writes invalidate the cache per key value';

CREATE VIEW cognomega.cache_key_columns AS
    SELECT t.tgrelid::pg_catalog.regclass AS rel, a.col::name AS col,
           a.n::int AS position, t.tgenabled <> 'D' AS enabled
    FROM pg_catalog.pg_trigger t
    CROSS JOIN LATERAL pg_catalog.unnest(pg_catalog.string_to_array(
        pg_catalog.encode(t.tgargs, 'escape'), '\000')) WITH ORDINALITY AS a(col, n)
    WHERE t.tgfoid = 'cognomega._cache_key_trigger()'::pg_catalog.regprocedure
      AND t.tgparentid = 0 AND a.col <> ''
    ORDER BY 1::text, 3;
COMMENT ON VIEW cognomega.cache_key_columns IS
    'the declared key columns (cache_key_column): writes invalidate entries per key value';
GRANT SELECT ON cognomega.cache_key_columns TO PUBLIC;

-- DROP EXTENSION: the key triggers on users' tables depend on
-- _cache_key_trigger; they are dropped first, so that a plain DROP EXTENSION
-- works and keeps the tables (as before 0.3).
CREATE FUNCTION cognomega._drop_key_triggers()
RETURNS event_trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'cognomega_drop_extension_event';
CREATE EVENT TRIGGER cognomega_drop_key_triggers ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION')
    EXECUTE FUNCTION cognomega._drop_key_triggers();
