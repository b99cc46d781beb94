
-- cognomega install script, part 5: background workers, job status,
-- statistics history and alerts (src/worker.c, src/stats.c).

-- ---------------------------------------------------------------------
-- Job status: kept in shared memory by the workers (and by run_job), one
-- entry per (database, job), readable from any database of the cluster.
-- ---------------------------------------------------------------------
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

-- Run one job now in the calling session; returns a one-line summary.
CREATE FUNCTION cognomega.run_job(job text)
RETURNS text
LANGUAGE C VOLATILE STRICT
AS 'MODULE_PATHNAME', 'cognomega_run_job';

COMMENT ON FUNCTION cognomega.run_job(text) IS
	'Run cache_sweep, partition_maintenance or stats now, with the caller''s privileges';

-- Administrative: the job runs with the caller's privileges, but nobody
-- gets to trigger maintenance or write statistics unless granted.
REVOKE ALL ON FUNCTION cognomega.run_job(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION cognomega.job_status_internal() FROM PUBLIC;
REVOKE ALL ON cognomega.job_status FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cognomega.job_status_internal() TO pg_monitor;
GRANT SELECT ON cognomega.job_status TO pg_monitor;

-- ---------------------------------------------------------------------
-- Statistics history: one row per stats run.  Counters are cumulative
-- (as PostgreSQL's and the cache's own counters are) so that rates come
-- from the difference between two rows; see cognomega.stats_rates.
--
-- Only the partitioned parent is created here: partitions made during
-- CREATE EXTENSION would become extension members.  The first stats run
-- registers it with cognomega.create_parent (daily partitions, retention
-- cognomega.stats_retention); the partitions are then ordinary tables.
-- ---------------------------------------------------------------------
CREATE TABLE cognomega.stats_history (
	recorded_at			timestamptz NOT NULL DEFAULT pg_catalog.now(),
	cache_entries		bigint,
	cache_bytes_used	bigint,
	cache_bytes_total	bigint,
	cache_hits			bigint,
	cache_misses		bigint,
	cache_stores		bigint,
	cache_evictions		bigint,
	cache_expirations	bigint,
	cache_invalidations	bigint,
	database_size		bigint NOT NULL,
	xact_commit			bigint,
	xact_rollback		bigint,
	temp_files			bigint,
	temp_bytes			bigint,
	stats_reset			timestamptz,
	connections			jsonb NOT NULL DEFAULT '{}',
	connections_total	int NOT NULL DEFAULT 0,
	rows_in_default		bigint NOT NULL DEFAULT 0,
	managed_tables		jsonb NOT NULL DEFAULT '{}',
	-- since 0.3: the machine (or the server's cgroup) and more counters
	memory_used			bigint,
	memory_total		bigint,
	memory_source		text,
	cpu_seconds			double precision,
	cpu_count			int,
	load_1m				double precision,
	blks_hit			bigint,
	blks_read			bigint,
	deadlocks			bigint,
	statements_calls	bigint,
	statements_exec_ms	double precision
) PARTITION BY RANGE (recorded_at);

-- No index: an index on an extension-member parent is re-created on each
-- partition by ATTACH when a dump is restored, colliding with the dumped
-- partition indexes.  Daily partitions prune time ranges; the stats job
-- keeps its previous counters in shared memory instead of searching here.

COMMENT ON TABLE cognomega.stats_history IS
	'One row per stats run: cumulative counters (rates between rows: cognomega.stats_rates)';

SELECT pg_catalog.pg_extension_config_dump('cognomega.stats_history', '');

-- Per-second rate of a cumulative counter between two rows; NULL when the
-- counter went backwards (server restart, statistics or cache reset).
CREATE FUNCTION cognomega.rate_between(cur bigint, prev bigint, span interval)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN cur >= prev AND span > '0'::interval
			THEN (cur::double precision - prev::double precision)
				 / pg_catalog.date_part('epoch', span)
	   END;

-- Rates between consecutive rows; NULL where a counter went backwards
-- (server restart, statistics or cache reset).  memory_percent is the
-- row's own; cpu_percent is the CPU time used over the window, of the
-- CPUs the server may use; mean_query_ms the mean execution time of the
-- statements pg_stat_statements saw finish in the window.
CREATE VIEW cognomega.stats_rates AS
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

-- ---------------------------------------------------------------------
-- Alerts raised by the stats job.  A condition that persists keeps
-- exactly one open alert per (kind, subject) -- the partial unique index
-- enforces it -- whose value and last_seen follow the latest run; it is
-- resolved (resolved_at set) by the first run that finds it cleared.
-- ---------------------------------------------------------------------
CREATE TABLE cognomega.alerts (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	raised_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	kind		text NOT NULL,
	subject		text NOT NULL,
	value		double precision,
	threshold	double precision,
	resolved_at	timestamptz,
	last_seen	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT alerts_resolved_after_raised CHECK (resolved_at >= raised_at),
	-- since 0.3
	severity	text NOT NULL DEFAULT 'WARNING'
				CONSTRAINT alerts_severity CHECK (severity IN ('WARNING', 'CRITICAL'))
);

CREATE UNIQUE INDEX alerts_one_open ON cognomega.alerts (kind, subject)
	WHERE resolved_at IS NULL;

COMMENT ON TABLE cognomega.alerts IS
	'Alerts of the stats job: one open row per (kind, subject) while the condition lasts';

SELECT pg_catalog.pg_extension_config_dump('cognomega.alerts', '');
SELECT pg_catalog.pg_extension_config_dump('cognomega.alerts_id_seq', '');

REVOKE ALL ON cognomega.stats_history, cognomega.alerts, cognomega.stats_rates FROM PUBLIC;
GRANT SELECT ON cognomega.stats_history, cognomega.alerts, cognomega.stats_rates TO pg_monitor;

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

-- The history tables' own rows of part_config are not dumped: a worker (or
-- run_job) that runs in the database while a dump is being restored
-- registers them again, and the dumped rows would then collide with its
-- (duplicate key: the restore fails).  The first run after a restore
-- registers them, adopting their restored partitions.
SELECT pg_catalog.pg_extension_config_dump('cognomega.part_config',
	'WHERE parent OPERATOR(pg_catalog.<>) ALL (ARRAY[''cognomega.stats_history'', ''cognomega.job_history'']::pg_catalog.regclass[])');

REVOKE ALL ON cognomega.job_history FROM PUBLIC;
GRANT SELECT ON cognomega.job_history TO pg_monitor;
