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
-- part_config.last_error is readable by pg_monitor, not PUBLIC (issue 21.5)
REVOKE SELECT ON cognomega.part_config FROM PUBLIC;
GRANT SELECT (parent, control, part_interval, premake, retention, retention_keep_table,
	time_zone, maintenance_interval, last_maintenance, created_at)
	ON cognomega.part_config TO PUBLIC;
GRANT SELECT ON cognomega.part_config TO pg_monitor;
-- issue 22: only rows whose parent exists are dumped; a row inserted for a
-- registered parent replaces it (a restore's COPY never conflicts); dropped
-- parents are forgotten on every command tag, also in replica mode.
SELECT pg_catalog.pg_extension_config_dump('cognomega.part_config',
	'WHERE EXISTS (SELECT FROM pg_catalog.pg_class c'
	' WHERE c.oid OPERATOR(pg_catalog.=) parent::pg_catalog.oid)'
	' AND parent OPERATOR(pg_catalog.<>) ALL (ARRAY[''cognomega.stats_history'','
	' ''cognomega.job_history'']::pg_catalog.regclass[])');

CREATE FUNCTION cognomega._part_config_replace()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	DELETE FROM cognomega.part_config c
	 WHERE c.parent OPERATOR(pg_catalog.=) NEW.parent;
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION cognomega._part_config_replace() FROM PUBLIC;
CREATE TRIGGER part_config_replace BEFORE INSERT ON cognomega.part_config
	FOR EACH ROW EXECUTE FUNCTION cognomega._part_config_replace();
ALTER TABLE cognomega.part_config ENABLE ALWAYS TRIGGER part_config_replace;

DROP EVENT TRIGGER cognomega_forget_dropped_parents;
CREATE EVENT TRIGGER cognomega_forget_dropped_parents ON sql_drop
	EXECUTE FUNCTION cognomega.part_config_forget_dropped();
ALTER EVENT TRIGGER cognomega_forget_dropped_parents ENABLE ALWAYS;

-- issue 20: an invalid partitioned index with nothing left to attach is
-- rebuilt by missing_index_ddl() and setup()
CREATE FUNCTION cognomega._fresh_index_name(rel regclass, top regclass,
											top_name name, suffix text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT format('%I.%I', n.nspname,
			  cognomega._free_relname(c.relnamespace,
									  CASE WHEN rel = top THEN top_name::text
										   ELSE c.relname || '_' || suffix END))
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = rel
$$;

CREATE FUNCTION cognomega._fresh_partitioned_index_ddl(rel regclass, top regclass,
													   top_name name, suffix text,
													   cols name[], descs bool[],
													   pred text)
RETURNS SETOF text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	myname text := cognomega._fresh_index_name(rel, top, top_name, suffix);
	child regclass;
BEGIN
	IF (SELECT relkind FROM pg_class WHERE oid = rel) <> 'p' THEN
		RETURN NEXT cognomega._create_index_sql(rel, (parse_ident(myname))[2],
						cols, descs, pred, true, false);
		RETURN;
	END IF;
	FOR child IN SELECT inhrelid::regclass FROM pg_inherits
				  WHERE inhparent = rel ORDER BY inhrelid::regclass::text
	LOOP
		RETURN QUERY SELECT * FROM cognomega._fresh_partitioned_index_ddl(
			child, top, top_name, suffix, cols, descs, pred);
	END LOOP;
	RETURN NEXT cognomega._create_index_sql(rel, (parse_ident(myname))[2],
					cols, descs, pred, false, true);
	FOR child IN SELECT inhrelid::regclass FROM pg_inherits
				  WHERE inhparent = rel ORDER BY inhrelid::regclass::text
	LOOP
		RETURN NEXT format('ALTER INDEX %s ATTACH PARTITION %s', myname,
						   cognomega._fresh_index_name(child, top, top_name, suffix));
	END LOOP;
END
$$;

CREATE FUNCTION cognomega._index_stuck_invalid(rel regclass, idx regclass,
											   top_name name, cols name[],
											   descs bool[], pred text)
RETURNS bool
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT idx IS NOT NULL
   AND (SELECT relkind FROM pg_class WHERE oid = rel) = 'p'
   AND NOT cognomega._index_tree_valid(idx)
   AND NOT EXISTS (
		SELECT FROM cognomega._partitioned_index_ddl(rel, rel, top_name,
				substr(top_name, length((SELECT relname FROM pg_class WHERE oid = rel)) + 2),
				cols, descs, pred, false))
$$;

CREATE OR REPLACE FUNCTION cognomega.missing_index_ddl(concurrently bool DEFAULT true)
RETURNS SETOF text
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
	conc text := CASE WHEN $1 THEN 'CONCURRENTLY ' ELSE '' END;
BEGIN
	PERFORM cognomega.app_schema();		-- 55000 when setup() has not run
	FOR r IN SELECT p.*, c.relkind, c.relname, c.relnamespace
			   FROM cognomega._recommended_in_place() p
			   JOIN pg_class c ON c.oid = p.table_oid
			  ORDER BY p.ord
	LOOP
		IF r.found IS NOT NULL AND cognomega._index_tree_valid(r.found) THEN
			CONTINUE;
		ELSIF cognomega._index_stuck_invalid(r.table_oid, r.found, r.index_name,
											 r.columns, r.descending, r.predicate) THEN
			-- a new tree beside it (CONCURRENTLY), then it goes; or the
			-- plain way: drop it and build it again
			IF $1 THEN
				RETURN QUERY SELECT * FROM cognomega._fresh_partitioned_index_ddl(
					r.table_oid, r.table_oid, r.index_name,
					substr(r.index_name, length(r.relname) + 2),
					r.columns, r.descending, r.predicate);
				RETURN NEXT format('DROP INDEX %s', r.found);
			ELSE
				RETURN NEXT format('DROP INDEX %s', r.found);
				RETURN NEXT cognomega._create_index_sql(r.table_oid,
								(SELECT relname FROM pg_class WHERE oid = r.found),
								r.columns, r.descending, r.predicate, false, false);
			END IF;
		ELSIF r.relkind = 'p' AND ($1 OR r.found IS NOT NULL) THEN
			RETURN QUERY SELECT * FROM cognomega._partitioned_index_ddl(
				r.table_oid, r.table_oid, r.index_name,
				substr(r.index_name, length(r.relname) + 2),
				r.columns, r.descending, r.predicate, $1);
		ELSIF r.found IS NULL THEN
			RETURN NEXT cognomega._create_index_sql(r.table_oid,
							cognomega._free_relname(r.relnamespace, r.index_name),
							r.columns, r.descending, r.predicate, $1, false);
		ELSE
			RETURN NEXT format('REINDEX INDEX %s%s', conc, r.found);
		END IF;
	END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION cognomega._setup_index_ddl(OUT stmt text, OUT line text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT x.stmt, x.line
  FROM (
	SELECT p.ord, 1 AS step,
		   cognomega._create_index_sql(p.table_oid, n.name, p.columns,
									   p.descending, p.predicate, false, false) AS stmt,
		   format('created index %I on %s', n.name, p.table_oid) AS line
	  FROM cognomega._recommended_in_place() p
	  JOIN pg_class c ON c.oid = p.table_oid
	  CROSS JOIN LATERAL (SELECT cognomega._free_relname(c.relnamespace,
														 p.index_name) AS name) n
	 WHERE p.found IS NULL
	UNION ALL
	SELECT p.ord, d.step, d.stmt, d.line
	  FROM cognomega._recommended_in_place() p
	  JOIN pg_class ic ON ic.oid = p.found
	  CROSS JOIN LATERAL (VALUES
		(1, format('DROP INDEX %s', p.found),
		 format('dropped invalid index %s on %s: its partitions'' indexes are all attached, so PostgreSQL never validates it',
				p.found, p.table_oid)),
		(2, cognomega._create_index_sql(p.table_oid, ic.relname, p.columns,
										p.descending, p.predicate, false, false),
		 format('created index %I on %s', ic.relname, p.table_oid))) d(step, stmt, line)
	 WHERE cognomega._index_stuck_invalid(p.table_oid, p.found, p.index_name,
										  p.columns, p.descending, p.predicate)
  ) x
 ORDER BY x.ord, x.step
$$;
-- ---------------------------------------------------------------------------
-- Issue 11: the query functions and cached_query return json (JSON text,
-- cached and sent as text) instead of jsonb.  A return type cannot be
-- altered, so they are dropped and created again.  An object that depends
-- on one of them (a view, a column default, a function with a SQL-standard
-- body) would be dropped with it or would have to change its own type: the
-- update refuses instead, naming those objects, and changes nothing.
-- Privileges granted on the five functions are reset to the default
-- (EXECUTE for PUBLIC); a WARNING lists the GRANTs to run again.
-- ---------------------------------------------------------------------------

DO $upgrade$
DECLARE
	fns regprocedure[] := ARRAY[
		'cognomega.user_with_apps(uuid)'::regprocedure,
		'cognomega.users_with_apps(uuid[])'::regprocedure,
		'cognomega.agent_analytics(uuid,text)'::regprocedure,
		'cognomega.user_agents_overview(uuid)'::regprocedure,
		'cognomega.cached_query(text,interval)'::regprocedure];
	dependents text;
	grants text;
BEGIN
	SELECT string_agg(DISTINCT coalesce(pg_describe_object('pg_class'::regclass, r.ev_class, 0),
	                                    pg_describe_object(d.classid, d.objid, d.objsubid))
	                  || format(' (on cognomega.%s(%s))', p.proname,
	                            pg_get_function_identity_arguments(p.oid)), ', ')
	  INTO dependents
	  FROM pg_depend d
	  JOIN pg_proc p ON p.oid = d.refobjid
	  LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
	 WHERE d.refclassid = 'pg_proc'::regclass AND d.refobjid = ANY (fns)
	   AND d.deptype = 'n';
	IF dependents IS NOT NULL THEN
		RAISE EXCEPTION 'cannot update extension cognomega to 0.3: objects depend on functions whose result type changes from jsonb to json'
		      USING ERRCODE = 'dependent_objects_still_exist',
		            DETAIL = 'Depending objects: ' || dependents || '.',
		            HINT = 'Drop them, run ALTER EXTENSION cognomega UPDATE again and re-create them; a call cast with ::jsonb keeps its jsonb type.';
	END IF;

	SELECT string_agg(format('GRANT EXECUTE ON FUNCTION cognomega.%I(%s) TO %s%s;', p.proname,
	                         pg_get_function_identity_arguments(p.oid),
	                         CASE WHEN a.grantee = 0 THEN 'PUBLIC'
	                              ELSE a.grantee::regrole::text END,
	                         CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END),
	                  ' ' ORDER BY p.oid, a.grantee)
	  INTO grants
	  FROM pg_proc p CROSS JOIN LATERAL aclexplode(p.proacl) a
	 WHERE p.oid = ANY (fns) AND p.proacl IS NOT NULL AND a.grantee <> p.proowner;
	IF EXISTS (SELECT FROM pg_proc p WHERE p.oid = ANY (fns) AND p.proacl IS NOT NULL) THEN
		RAISE WARNING 'privileges on cognomega''s query functions are reset to the default by the update to 0.3'
		      USING DETAIL = 'They were re-created because their result type changed from jsonb to json.',
		            HINT = 'Run again, as needed (with REVOKE EXECUTE ... FROM PUBLIC first if it was revoked): '
		                   || coalesce(grants, '(no GRANT)');
	END IF;
END
$upgrade$;

DROP FUNCTION cognomega.user_with_apps(uuid);
DROP FUNCTION cognomega.users_with_apps(uuid[]);
DROP FUNCTION cognomega.agent_analytics(uuid, text);
DROP FUNCTION cognomega.user_agents_overview(uuid);
DROP FUNCTION cognomega.cached_query(text, interval);

CREATE FUNCTION cognomega.cached_query(query text, ttl interval DEFAULT NULL)
RETURNS json
LANGUAGE C VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cached_query_json';
COMMENT ON FUNCTION cognomega.cached_query(text, interval) IS
    'run a read-only query, its rows as a json array of objects, served from the cache when valid';

CREATE FUNCTION cognomega.user_with_apps(user_id uuid)
RETURNS json
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'cognomega_user_with_apps_json';

COMMENT ON FUNCTION cognomega.user_with_apps(uuid) IS
'{"user": {all columns of the user row}, "apps": [{id, title, status, created_at}, ...] newest first}; NULL when the user does not exist';

CREATE FUNCTION cognomega.users_with_apps(user_ids uuid[])
RETURNS TABLE(user_id uuid, doc json)
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED ROWS 20
AS 'MODULE_PATHNAME', 'cognomega_users_with_apps';

COMMENT ON FUNCTION cognomega.users_with_apps(uuid[]) IS
'user_with_apps for each existing user of the array, once each, in the order of first appearance; one query for all';

CREATE FUNCTION cognomega.agent_analytics(agent_id uuid, period text)
RETURNS json
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'cognomega_agent_analytics_json';

COMMENT ON FUNCTION cognomega.agent_analytics(uuid, text) IS
'the newest ai_agent_analytics row of the agent and period as an object, NULL if none; scans partitions newest first and stops at the first holding a row';

CREATE FUNCTION cognomega.user_agents_overview(user_id uuid)
RETURNS json
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'cognomega_user_agents_overview_json';

COMMENT ON FUNCTION cognomega.user_agents_overview(uuid) IS
'{"user_id": ..., "agents": [{id, name, type, status, created_at, pending, in_progress}, ...] active agents newest first}; NULL when the user does not exist';

-- 0.3 (issue 12): key-level invalidation

-- Key-level invalidation (issue 12, docs/cache.md).  A key column is
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

-- A heal of a stuck partitioned index interrupted part-way is completed by
-- a rerun of missing_index_ddl() (review rvq): no ATTACH of a partition
-- whose index is attached already, and the new tree reused.  A foreign
-- partition gets no index, and its table's index is built with a plain
-- CREATE INDEX after the local leaves' (an ON ONLY one never turns valid).
-- Whether a partitioned table has a foreign table among its partitions (at
-- any level): no index can be built on it, and PostgreSQL then never
-- validates an ON ONLY index of the table (it counts the partitions).
CREATE FUNCTION cognomega._has_foreign_partition(rel regclass)
RETURNS bool
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT FROM pg_partition_tree(rel) t
				 JOIN pg_class c ON c.oid = t.relid
				WHERE c.relkind = 'f')
$$;

CREATE OR REPLACE FUNCTION cognomega._partitioned_index_ddl(rel regclass, top regclass,
												 top_name name, suffix text,
												 cols name[], descs bool[],
												 pred text, use_concurrently bool)
RETURNS SETOF text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	want text := CASE WHEN rel = top THEN top_name::text
					  ELSE (SELECT relname FROM pg_class WHERE oid = rel) || '_' || suffix END;
	existing regclass := cognomega._equivalent_index(rel, cols, descs, pred, want);
	myname text := cognomega._index_name_on(rel, top, top_name, suffix, cols, descs, pred);
	conc text := CASE WHEN use_concurrently THEN 'CONCURRENTLY ' ELSE '' END;
	child regclass;
	child_idx text;
BEGIN
	IF existing IS NOT NULL AND cognomega._index_tree_valid(existing) THEN
		RETURN;
	END IF;
	IF (SELECT relkind FROM pg_class WHERE oid = rel) = 'f' THEN
		RETURN;					-- no index on a foreign table
	END IF;
	IF (SELECT relkind FROM pg_class WHERE oid = rel) <> 'p' THEN
		IF existing IS NULL THEN
			RETURN NEXT cognomega._create_index_sql(rel, (parse_ident(myname))[2],
							cols, descs, pred, use_concurrently, false);
		ELSE
			RETURN NEXT format('REINDEX INDEX %s%s', conc, existing);
		END IF;
		RETURN;
	END IF;
	IF cognomega._has_foreign_partition(rel) THEN
		-- an ON ONLY index never becomes valid: PostgreSQL counts the
		-- partitions, and a foreign one gets no index.  The local leaves'
		-- indexes first, then a plain CREATE INDEX, which attaches them
		-- (nothing left to build) and skips the foreign partitions.  An
		-- invalid one left before: nothing to do here, it is replaced.
		IF existing IS NULL THEN
			FOR child IN SELECT t.relid FROM pg_partition_tree(rel) t
						  WHERE t.isleaf ORDER BY t.relid::text
			LOOP
				RETURN QUERY SELECT * FROM cognomega._partitioned_index_ddl(
					child, top, top_name, suffix, cols, descs, pred, use_concurrently);
			END LOOP;
			RETURN NEXT cognomega._create_index_sql(rel, (parse_ident(myname))[2],
							cols, descs, pred, false, false);
		END IF;
		RETURN;
	END IF;

	FOR child IN SELECT inhrelid::regclass FROM pg_inherits
				  WHERE inhparent = rel ORDER BY inhrelid::regclass::text
	LOOP
		RETURN QUERY SELECT * FROM cognomega._partitioned_index_ddl(
			child, top, top_name, suffix, cols, descs, pred, use_concurrently);
	END LOOP;
	IF existing IS NULL THEN
		RETURN NEXT cognomega._create_index_sql(rel, (parse_ident(myname))[2],
						cols, descs, pred, false, true);
	END IF;
	FOR child IN SELECT inhrelid::regclass FROM pg_inherits
				  WHERE inhparent = rel ORDER BY inhrelid::regclass::text
	LOOP
		child_idx := cognomega._index_name_on(child, top, top_name, suffix,
											  cols, descs, pred);
		-- nothing to attach when an index of this partition is attached
		-- already (another one would be refused: a heal interrupted after
		-- building the new tree's leaf indexes left them beside the old)
		IF existing IS NULL OR NOT EXISTS (
				SELECT 1 FROM pg_inherits i
				  JOIN pg_index x ON x.indexrelid = i.inhrelid
				 WHERE i.inhparent = existing
				   AND x.indrelid = child) THEN
			RETURN NEXT format('ALTER INDEX %s ATTACH PARTITION %s', myname, child_idx);
		END IF;
	END LOOP;
END
$$;

DROP FUNCTION cognomega._fresh_partitioned_index_ddl(regclass, regclass, name, text, name[], bool[], text);

-- An index on rel equivalent to the recommended one (as _equivalent_index)
-- that is not part of the tree of index old: what a heal interrupted before
-- (statement_timeout, psql carrying on) left of the new tree, to reuse.
CREATE FUNCTION cognomega._equivalent_index_outside(rel regclass, cols name[],
													descs bool[], pred text,
													preferred name, old regclass)
RETURNS regclass
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT i.indexrelid::regclass
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_am am ON am.oid = ic.relam
 WHERE i.indrelid = rel AND i.indislive AND i.indexprs IS NULL
   AND am.amname = 'btree'
   AND i.indnkeyatts = cardinality(cols)
   AND pg_get_expr(i.indpred, i.indrelid) IS NOT DISTINCT FROM pred
   AND i.indexrelid NOT IN (SELECT t.relid FROM cognomega._index_tree(old) t)
   AND NOT EXISTS (
		SELECT 1
		  FROM unnest(cols, descs) WITH ORDINALITY AS k(col, dsc, n)
		  LEFT JOIN pg_attribute a
			ON a.attrelid = rel AND a.attname = k.col AND NOT a.attisdropped
		 WHERE a.attnum IS DISTINCT FROM i.indkey[k.n - 1]
			OR i.indoption[k.n - 1] <> CASE WHEN k.dsc THEN 3 ELSE 0 END
			OR i.indcollation[k.n - 1] <> a.attcollation
			OR NOT EXISTS (SELECT 1 FROM pg_opclass o
							WHERE o.oid = i.indclass[k.n - 1] AND o.opcdefault))
 ORDER BY ic.relname = preferred DESC, i.indisvalid DESC, ic.relname
 LIMIT 1
$$;

-- The statements that build a whole new tree of one recommended index on a
-- partitioned table, beside the existing one (old): each leaf partition's
-- index CONCURRENTLY, then each partitioned level's ON ONLY and the ATTACH
-- of its children's new indexes (the last ATTACH makes it valid).  What an
-- interrupted run built of it (indexes outside old's tree) is reused, so
-- that a rerun completes the same new tree rather than starting another.
CREATE FUNCTION cognomega._fresh_partitioned_index_ddl(rel regclass, top regclass,
													   top_name name, suffix text,
													   cols name[], descs bool[],
													   pred text, old regclass)
RETURNS SETOF text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	want text := CASE WHEN rel = top THEN top_name::text
					  ELSE (SELECT relname FROM pg_class WHERE oid = rel) || '_' || suffix END;
	mine regclass := cognomega._equivalent_index_outside(rel, cols, descs, pred, want, old);
	myname text := coalesce(mine::text,
							cognomega._fresh_index_name(rel, top, top_name, suffix));
	child regclass;
	child_idx text;
BEGIN
	IF (SELECT relkind FROM pg_class WHERE oid = rel) = 'f' THEN
		RETURN;					-- no index on a foreign table
	END IF;
	IF (SELECT relkind FROM pg_class WHERE oid = rel) <> 'p' THEN
		IF mine IS NULL THEN
			RETURN NEXT cognomega._create_index_sql(rel, (parse_ident(myname))[2],
							cols, descs, pred, true, false);
		ELSIF NOT (SELECT indisvalid FROM pg_index WHERE indexrelid = mine) THEN
			RETURN NEXT format('REINDEX INDEX CONCURRENTLY %s', mine);
		END IF;
		RETURN;
	END IF;
	IF cognomega._has_foreign_partition(rel) THEN
		-- as in _partitioned_index_ddl: the leaves, then a plain CREATE INDEX
		-- (it attaches the leaves' indexes that are not attached yet)
		FOR child IN SELECT t.relid FROM pg_partition_tree(rel) t
					  WHERE t.isleaf ORDER BY t.relid::text
		LOOP
			RETURN QUERY SELECT * FROM cognomega._fresh_partitioned_index_ddl(
				child, top, top_name, suffix, cols, descs, pred, old);
		END LOOP;
		IF mine IS NULL THEN
			RETURN NEXT cognomega._create_index_sql(rel, (parse_ident(myname))[2],
							cols, descs, pred, false, false);
		END IF;
		RETURN;
	END IF;
	FOR child IN SELECT inhrelid::regclass FROM pg_inherits
				  WHERE inhparent = rel ORDER BY inhrelid::regclass::text
	LOOP
		RETURN QUERY SELECT * FROM cognomega._fresh_partitioned_index_ddl(
			child, top, top_name, suffix, cols, descs, pred, old);
	END LOOP;
	IF mine IS NULL THEN
		RETURN NEXT cognomega._create_index_sql(rel, (parse_ident(myname))[2],
						cols, descs, pred, false, true);
	END IF;
	FOR child IN SELECT inhrelid::regclass FROM pg_inherits
				  WHERE inhparent = rel ORDER BY inhrelid::regclass::text
	LOOP
		child_idx := coalesce(cognomega._equivalent_index_outside(child, cols, descs, pred,
								(SELECT relname FROM pg_class WHERE oid = child) || '_' || suffix,
								old)::text,
							  cognomega._fresh_index_name(child, top, top_name, suffix));
		IF mine IS NULL OR NOT EXISTS (
				SELECT 1 FROM pg_inherits i
				  JOIN pg_index x ON x.indexrelid = i.inhrelid
				 WHERE i.inhparent = mine AND x.indrelid = child) THEN
			RETURN NEXT format('ALTER INDEX %s ATTACH PARTITION %s', myname, child_idx);
		END IF;
	END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION cognomega._index_stuck_invalid(rel regclass, idx regclass,
											   top_name name, cols name[],
											   descs bool[], pred text)
RETURNS bool
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT idx IS NOT NULL
   AND (SELECT relkind FROM pg_class WHERE oid = rel) = 'p'
   AND NOT cognomega._index_tree_valid(idx)
   AND (cognomega._has_foreign_partition(rel) OR NOT EXISTS (
		SELECT FROM cognomega._partitioned_index_ddl(rel, rel, top_name,
				substr(top_name, length((SELECT relname FROM pg_class WHERE oid = rel)) + 2),
				cols, descs, pred, false)))
$$;

CREATE OR REPLACE FUNCTION cognomega.missing_index_ddl(concurrently bool DEFAULT true)
RETURNS SETOF text
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
	conc text := CASE WHEN $1 THEN 'CONCURRENTLY ' ELSE '' END;
BEGIN
	PERFORM cognomega.app_schema();		-- 55000 when setup() has not run
	FOR r IN SELECT p.*, c.relkind, c.relname, c.relnamespace
			   FROM cognomega._recommended_in_place() p
			   JOIN pg_class c ON c.oid = p.table_oid
			  ORDER BY p.ord
	LOOP
		IF r.found IS NOT NULL AND cognomega._index_tree_valid(r.found) THEN
			CONTINUE;
		ELSIF cognomega._index_stuck_invalid(r.table_oid, r.found, r.index_name,
											 r.columns, r.descending, r.predicate) THEN
			-- a new tree beside it (CONCURRENTLY), then it goes; or the
			-- plain way: drop it and build it again
			IF $1 THEN
				RETURN QUERY SELECT * FROM cognomega._fresh_partitioned_index_ddl(
					r.table_oid, r.table_oid, r.index_name,
					substr(r.index_name, length(r.relname) + 2),
					r.columns, r.descending, r.predicate, r.found);
				RETURN NEXT format('DROP INDEX %s', r.found);
			ELSE
				RETURN NEXT format('DROP INDEX %s', r.found);
				RETURN NEXT cognomega._create_index_sql(r.table_oid,
								(SELECT relname FROM pg_class WHERE oid = r.found),
								r.columns, r.descending, r.predicate, false, false);
			END IF;
		ELSIF r.relkind = 'p' AND ($1 OR r.found IS NOT NULL) THEN
			RETURN QUERY SELECT * FROM cognomega._partitioned_index_ddl(
				r.table_oid, r.table_oid, r.index_name,
				substr(r.index_name, length(r.relname) + 2),
				r.columns, r.descending, r.predicate, $1);
		ELSIF r.found IS NULL THEN
			RETURN NEXT cognomega._create_index_sql(r.table_oid,
							cognomega._free_relname(r.relnamespace, r.index_name),
							r.columns, r.descending, r.predicate, $1, false);
		ELSE
			RETURN NEXT format('REINDEX INDEX %s%s', conc, r.found);
		END IF;
	END LOOP;
END
$$;

-- cache_key_columns: the column names decoded from tgargs' escape format
-- (non-ASCII names and backslashes were printed escaped, a name holding
-- "\000" split in two); enabled means ALWAYS, the only state in which the
-- key trigger makes writes keyed.
CREATE OR REPLACE VIEW cognomega.cache_key_columns AS
    SELECT t.tgrelid::pg_catalog.regclass AS rel,
           (pg_catalog.convert_from(pg_catalog.decode(a.arg[1], 'escape'),
                                    pg_catalog.getdatabaseencoding())
            COLLATE pg_catalog."default")::name AS col,
           a.n::int AS position, t.tgenabled = 'A' AS enabled
    FROM pg_catalog.pg_trigger t
    CROSS JOIN LATERAL pg_catalog.regexp_matches(pg_catalog.encode(t.tgargs, 'escape'),
        '((?:[^\\]|\\\\|\\(?!000)[0-7]{3})*)\\000', 'g') WITH ORDINALITY AS a(arg, n)
    WHERE t.tgfoid = 'cognomega._cache_key_trigger()'::pg_catalog.regprocedure
      AND t.tgparentid = 0
    ORDER BY 1::text, 3;

-- ---- issue 17: Citus (sql/src/60_citus.sql) ----

-- ---------------------------------------------------------------------------
-- Part 60: Citus (docs/scale-out.md).
--
-- cognomega.distribute() turns the tables setup() made into Citus tables on
-- the coordinator, in this layout:
--   users                    hash-distributed by id
--   generated_apps, payments,
--   voice_commands, ai_agents hash-distributed by user_id, colocated with
--                            users (a user's rows are on one node)
--   ai_agent_tasks           a reference table (a copy on every node): the
--                            tasks are keyed by agent, the agents by user;
--                            user_agents_overview joins them on the node
--                            holding the user
--   ai_agent_analytics       hash-distributed by agent_id, its own
--                            colocation group (agent_analytics reads one
--                            agent)
-- Citus cannot enforce a UNIQUE or PRIMARY KEY constraint that does not
-- hold the distribution column, nor a foreign key from a reference table to
-- a distributed one: users.email's UNIQUE constraint is dropped (an index
-- on email stays), the primary keys of the user-keyed tables become
-- (user_id, id), and ai_agent_tasks' foreign key to ai_agents is dropped.
-- The cache key triggers are dropped: writes run on the shards, where the
-- result cache does not see them as writes to these tables, so the cache
-- is bypassed for every Citus table (docs/cache.md).  The query functions
-- keyed by user or agent become distributed functions, run on the node
-- that holds the key.  Every action returns one line; a second call
-- returns nothing (or what a new worker still needed).
-- ---------------------------------------------------------------------------

CREATE FUNCTION cognomega.distribute(shard_count int DEFAULT NULL)
RETURNS SETOF text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $distribute$
DECLARE
	s name;
	rel regclass;
	t record;
	c record;
	cols name[];
	dist name;
	moved regclass[] := '{}';
BEGIN
	IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION 'citus is not installed in this database'
			USING ERRCODE = 'feature_not_supported',
				HINT = 'Preload it (shared_preload_libraries = ''citus,cognomega''), run CREATE EXTENSION citus, add the workers, then call cognomega.distribute() on the coordinator.';
	END IF;
	IF NOT citus_is_coordinator() THEN
		RAISE EXCEPTION 'cognomega.distribute() must be called on the Citus coordinator'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = format('This node is in Citus group %s, a worker.',
								(SELECT groupid FROM pg_dist_local_group)),
				HINT = 'Connect to the coordinator and call it there.';
	END IF;
	IF shard_count IS NOT NULL AND (shard_count < 1 OR shard_count > 64000) THEN
		RAISE EXCEPTION 'shard_count must be between 1 and 64000'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	s := cognomega.app_schema();	-- 55000 with a hint when setup() has not run
	FOR t IN SELECT n FROM unnest('{users,generated_apps,payments,voice_commands,ai_agents,ai_agent_tasks,ai_agent_analytics}'::name[]) n
	LOOP
		IF to_regclass(format('%I.%I', s, t.n)) IS NULL THEN
			RAISE EXCEPTION 'table %.% is missing', quote_ident(s), quote_ident(t.n)
				USING ERRCODE = 'object_not_in_prerequisite_state',
					HINT = 'Run cognomega.setup() first.';
		END IF;
	END LOOP;
	-- the query functions read setup_config on the node they run on
	FOR c IN SELECT nodename, nodeport, success, result
			   FROM run_command_on_workers($$SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'cognomega'$$)
	LOOP
		IF NOT c.success OR c.result IS DISTINCT FROM
		   (SELECT extversion FROM pg_extension WHERE extname = 'cognomega') THEN
			RAISE EXCEPTION 'cognomega % is not installed on worker %:%',
				(SELECT extversion FROM pg_extension WHERE extname = 'cognomega'), c.nodename, c.nodeport
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = format('The worker answered: %s', c.result),
					HINT = 'Install the same cognomega version on every node (preloaded there too) and run CREATE EXTENSION cognomega in this database on each worker.';
		END IF;
	END LOOP;

	FOR t IN SELECT * FROM (VALUES
			(1, 'users'::name, 'id'::name),
			(2, 'generated_apps', 'user_id'),
			(3, 'payments', 'user_id'),
			(4, 'voice_commands', 'user_id'),
			(5, 'ai_agents', 'user_id'),
			(6, 'ai_agent_tasks', NULL),
			(7, 'ai_agent_analytics', 'agent_id')) v(ord, n, col)
			ORDER BY ord
	LOOP
		rel := format('%I.%I', s, t.n)::regclass;
		CONTINUE WHEN EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = rel);

		-- the cache key trigger: Citus refuses tables with triggers, and the
		-- cache is bypassed for Citus tables (docs/cache.md)
		IF EXISTS (SELECT FROM pg_trigger WHERE tgrelid = rel AND tgname = 'cognomega_cache_keys'
					AND tgparentid = 0) THEN
			EXECUTE format('DROP TRIGGER cognomega_cache_keys ON %s', rel);
			RETURN NEXT format('dropped the cache key trigger on %s (the cache is bypassed for Citus tables)', rel);
		END IF;

		-- foreign keys Citus cannot keep: to this table's key when that key
		-- changes below, and from the reference table to distributed ones
		FOR c IN SELECT k.conname, k.conrelid::regclass AS src, pg_get_constraintdef(k.oid) AS def
				   FROM pg_constraint k
				  WHERE k.contype = 'f'
					AND ((k.confrelid = rel AND t.col IS NOT NULL
						  AND NOT (SELECT attnum FROM pg_attribute WHERE attrelid = rel AND attname = t.col)
							  = ANY (k.confkey))
						 OR (k.conrelid = rel AND t.col IS NULL))
					AND k.conparentid = 0
				  ORDER BY 2::text, 1
		LOOP
			EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.src, c.conname);
			RETURN NEXT format('dropped foreign key %I on %s (%s): Citus cannot enforce it in this layout',
							   c.conname, c.src, c.def);
		END LOOP;

		-- unique keys without the distribution column: the primary key
		-- gains it, the others go
		IF t.col IS NOT NULL THEN
			FOR c IN SELECT k.conname, k.contype, pg_get_constraintdef(k.oid) AS def,
							array_agg(a.attname ORDER BY x.i) AS cols
					   FROM pg_constraint k
					   CROSS JOIN LATERAL unnest(k.conkey) WITH ORDINALITY x(attnum, i)
					   JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.attnum
					  WHERE k.conrelid = rel AND k.contype IN ('p', 'u', 'x') AND k.conparentid = 0
					  GROUP BY k.oid, k.conname, k.contype
					 HAVING NOT t.col = ANY (array_agg(a.attname))
					  ORDER BY k.contype, k.conname
			LOOP
				IF c.contype = 'p' THEN
					cols := ARRAY[t.col] || c.cols;
					EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I, ADD PRIMARY KEY (%s)',
								   rel, c.conname,
								   (SELECT string_agg(quote_ident(x), ', ') FROM unnest(cols) x));
					RETURN NEXT format('changed the primary key of %s from %s to PRIMARY KEY (%s)',
									   rel, c.def, array_to_string(cols, ', '));
				ELSE
					EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', rel, c.conname);
					RETURN NEXT format('dropped constraint %I on %s (%s): Citus cannot enforce uniqueness without the distribution column %I',
									   c.conname, rel, c.def, t.col);
					IF c.contype = 'u' AND NOT EXISTS (
							SELECT FROM pg_index i WHERE i.indrelid = rel
							   AND i.indkey[0] = (SELECT attnum FROM pg_attribute
												   WHERE attrelid = rel AND attname = c.cols[1])) THEN
						EXECUTE format('CREATE INDEX ON %s (%s)', rel,
									   (SELECT string_agg(quote_ident(x), ', ') FROM unnest(c.cols) x));
						RETURN NEXT format('created an index on %s (%s) in its place (lookups only)',
										   rel, array_to_string(c.cols, ', '));
					END IF;
				END IF;
			END LOOP;
		END IF;

		IF EXISTS (SELECT FROM pg_class WHERE oid = rel AND relkind = 'p') THEN
			IF EXISTS (SELECT FROM pg_partition_tree(rel) p JOIN pg_class r ON r.oid = p.relid
						WHERE p.isleaf AND r.relpages > 0 OR pg_relation_size(p.relid) > 0) THEN
				moved := moved || rel;
			END IF;
		ELSIF pg_relation_size(rel) > 0 THEN
			moved := moved || rel;
		END IF;
		IF t.col IS NULL THEN
			PERFORM create_reference_table(rel);
			RETURN NEXT format('made %s a reference table (a copy on every node)', rel);
		ELSIF t.n = 'users' THEN
			PERFORM create_distributed_table(rel, t.col, shard_count => shard_count);
			RETURN NEXT format('distributed %s by %I (%s shards)', rel, t.col,
							   (SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = rel));
		ELSIF t.n = 'ai_agent_analytics' THEN
			PERFORM create_distributed_table(rel, t.col, colocate_with => 'none',
											 shard_count => shard_count);
			RETURN NEXT format('distributed %s by %I (%s shards, its own colocation group)', rel, t.col,
							   (SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = rel));
		ELSE
			PERFORM create_distributed_table(rel, t.col,
											 colocate_with => format('%I.%I', s, 'users'));
			RETURN NEXT format('distributed %s by %I, colocated with %I.users', rel, t.col, s);
		END IF;
	END LOOP;

	-- Citus copied the rows into the shards and left them in the local
	-- tables, where no query reads them any more: free that space
	FOREACH rel IN ARRAY moved
	LOOP
		PERFORM truncate_local_data_after_distributing_table(rel);
		RETURN NEXT format('removed the local copy of %s''s rows (they are in its shards)', rel);
	END LOOP;

	-- the query functions keyed by one user or agent run where it lives
	FOR t IN SELECT * FROM (VALUES
			(1, 'cognomega.user_with_apps(uuid)'::regprocedure, 'users'::name),
			(2, 'cognomega.user_agents_overview(uuid)', 'users'),
			(3, 'cognomega.agent_analytics(uuid,text)', 'ai_agent_analytics')) v(ord, f, tab)
			ORDER BY ord
	LOOP
		CONTINUE WHEN EXISTS (SELECT FROM pg_dist_object
							   WHERE classid = 'pg_proc'::regclass AND objid = t.f
								 AND distribution_argument_index IS NOT NULL);
		PERFORM create_distributed_function(t.f, '$1', colocate_with => format('%I.%I', s, t.tab));
		RETURN NEXT format('distributed function %s by its first argument, colocated with %I.%I',
						   t.f, s, t.tab);
	END LOOP;

	-- each worker's setup_config names the schema, as the coordinator's
	FOR c IN SELECT nodename, nodeport, success, result
			   FROM run_command_on_workers(format(
					'INSERT INTO cognomega.setup_config (app_schema) VALUES (%L)'
					' ON CONFLICT (singleton) DO UPDATE SET app_schema = EXCLUDED.app_schema'
					' WHERE cognomega.setup_config.app_schema IS DISTINCT FROM EXCLUDED.app_schema',
					s))
	LOOP
		IF NOT c.success THEN
			RAISE EXCEPTION 'could not record the schema on worker %:%', c.nodename, c.nodeport
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = c.result;
		END IF;
		IF c.result <> 'INSERT 0 0' THEN
			RETURN NEXT format('recorded schema %I on worker %s:%s', s, c.nodename, c.nodeport);
		END IF;
	END LOOP;
END
$distribute$;

COMMENT ON FUNCTION cognomega.distribute(int) IS
'on a Citus coordinator after setup(): distribute the platform tables by user (analytics by agent, tasks as a reference table), one line per action; see docs/scale-out.md';

REVOKE ALL ON FUNCTION cognomega.distribute(int) FROM PUBLIC;

-- Citus: routed calls carry the caller's output settings; the workers
-- read the schema from the Citus metadata; distribute() refuses triggers first
-- The query functions' routed twins (src/routing.c): a routed call runs on
-- the holder over a Citus connection, with that connection's settings; the
-- planner hook turns SELECT cognomega.user_with_apps(id) into
-- SELECT cognomega._user_with_apps_routed(id, <the caller's output
-- settings>), which applies them for the call and runs the same code.
-- EXECUTE on the public function is checked for the caller at each call.
CREATE FUNCTION cognomega._user_with_apps_routed(user_id uuid, settings text[])
RETURNS json
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'cognomega_user_with_apps_routed';

CREATE FUNCTION cognomega._user_agents_overview_routed(user_id uuid, settings text[])
RETURNS json
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'cognomega_user_agents_overview_routed';

CREATE FUNCTION cognomega._agent_analytics_routed(agent_id uuid, period text, settings text[])
RETURNS json
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'cognomega_agent_analytics_routed';

-- On a Citus worker, where setup() never ran: the schema holding the
-- reference table cognomega_app_schema that distribute() creates there.
-- Read from the Citus metadata, which the coordinator changes in the
-- distributing transaction: nothing to undo on the workers when it rolls
-- back, and no guess from colocation (another schema's users table may
-- share the platform's colocation group).
CREATE FUNCTION cognomega._citus_app_schema()
RETURNS name
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s name;
BEGIN
	IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
		RETURN NULL;
	END IF;
	EXECUTE $q$
		SELECT n.nspname
		  FROM pg_dist_partition p
		  JOIN pg_class c ON c.oid = p.logicalrelid AND c.relname = 'cognomega_app_schema'
		  JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE p.partmethod = 'n'
		 ORDER BY n.nspname
		 LIMIT 1$q$ INTO s;
	RETURN s;
END
$$;

CREATE OR REPLACE FUNCTION cognomega.distribute(shard_count int DEFAULT NULL)
RETURNS SETOF text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $distribute$
DECLARE
	s name;
	rel regclass;
	t record;
	c record;
	cols name[];
	dist name;
	moved regclass[] := '{}';
BEGIN
	IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION 'citus is not installed in this database'
			USING ERRCODE = 'feature_not_supported',
				HINT = 'Preload it (shared_preload_libraries = ''citus,cognomega''), run CREATE EXTENSION citus, add the workers, then call cognomega.distribute() on the coordinator.';
	END IF;
	IF NOT citus_is_coordinator() THEN
		RAISE EXCEPTION 'cognomega.distribute() must be called on the Citus coordinator'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = format('This node is in Citus group %s, a worker.',
								(SELECT groupid FROM pg_dist_local_group)),
				HINT = 'Connect to the coordinator and call it there.';
	END IF;
	IF shard_count IS NOT NULL AND (shard_count < 1 OR shard_count > 64000) THEN
		RAISE EXCEPTION 'shard_count must be between 1 and 64000'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	s := cognomega.app_schema();	-- 55000 with a hint when setup() has not run
	FOR t IN SELECT n FROM unnest('{users,generated_apps,payments,voice_commands,ai_agents,ai_agent_tasks,ai_agent_analytics}'::name[]) n
	LOOP
		IF to_regclass(format('%I.%I', s, t.n)) IS NULL THEN
			RAISE EXCEPTION 'table %.% is missing', quote_ident(s), quote_ident(t.n)
				USING ERRCODE = 'object_not_in_prerequisite_state',
					HINT = 'Run cognomega.setup() first.';
		END IF;
	END LOOP;
	-- what Citus would refuse midway, refused before anything changes
	IF coalesce(current_setting('citus.enable_unsafe_triggers', true), 'off') = 'off' THEN
		FOR c IN SELECT tr.tgname, tr.tgrelid::regclass AS rel
				   FROM unnest('{users,generated_apps,payments,voice_commands,ai_agents,ai_agent_tasks,ai_agent_analytics}'::name[]) n
				   CROSS JOIN LATERAL (SELECT format('%I.%I', s, n)::regclass
									   UNION SELECT relid FROM pg_partition_tree(format('%I.%I', s, n)::regclass)) p(relid)
				   JOIN pg_trigger tr ON tr.tgrelid = p.relid
				  WHERE NOT tr.tgisinternal AND tr.tgname <> 'cognomega_cache_keys'
					AND NOT EXISTS (SELECT FROM pg_dist_partition d WHERE d.logicalrelid = p.relid)
				  ORDER BY 2::text, 1
				  LIMIT 1
		LOOP
			RAISE EXCEPTION 'table % has trigger %, which Citus does not distribute', c.rel, quote_ident(c.tgname)
				USING ERRCODE = 'feature_not_supported',
					DETAIL = 'Citus refuses to distribute a table with triggers unless citus.enable_unsafe_triggers is on; nothing was distributed.',
					HINT = 'Drop the trigger (and recreate it after distribute() with citus.enable_unsafe_triggers on, if it only touches the same shard), or set citus.enable_unsafe_triggers = on.';
		END LOOP;
	END IF;
	IF shard_count IS NOT NULL AND EXISTS (
			SELECT FROM pg_dist_partition WHERE logicalrelid = format('%I.%I', s, 'users')::regclass) THEN
		PERFORM FROM pg_dist_shard WHERE logicalrelid = format('%I.%I', s, 'users')::regclass
		 HAVING count(*) <> shard_count;
		IF FOUND THEN
			RAISE NOTICE '%.users is already distributed in % shards: shard_count % applies only to tables distributed now',
				quote_ident(s),
				(SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = format('%I.%I', s, 'users')::regclass),
				shard_count
				USING HINT = 'Change the shard count of distributed tables with Citus''s alter_distributed_table().';
		END IF;
	END IF;

	-- the query functions run on the workers: the same cognomega there
	FOR c IN SELECT nodename, nodeport, success, result
			   FROM run_command_on_workers($$SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'cognomega'$$)
	LOOP
		IF NOT c.success OR c.result IS DISTINCT FROM
		   (SELECT extversion FROM pg_extension WHERE extname = 'cognomega') THEN
			RAISE EXCEPTION 'cognomega % is not installed on worker %:%',
				(SELECT extversion FROM pg_extension WHERE extname = 'cognomega'), c.nodename, c.nodeport
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = format('The worker answered: %s', c.result),
					HINT = 'Install the same cognomega version on every node (preloaded there too) and run CREATE EXTENSION cognomega in this database on each worker.';
		END IF;
	END LOOP;

	FOR t IN SELECT * FROM (VALUES
			(1, 'users'::name, 'id'::name),
			(2, 'generated_apps', 'user_id'),
			(3, 'payments', 'user_id'),
			(4, 'voice_commands', 'user_id'),
			(5, 'ai_agents', 'user_id'),
			(6, 'ai_agent_tasks', NULL),
			(7, 'ai_agent_analytics', 'agent_id')) v(ord, n, col)
			ORDER BY ord
	LOOP
		rel := format('%I.%I', s, t.n)::regclass;
		CONTINUE WHEN EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = rel);

		-- the cache key trigger: Citus refuses tables with triggers, and the
		-- cache is bypassed for Citus tables (docs/cache.md)
		IF EXISTS (SELECT FROM pg_trigger WHERE tgrelid = rel AND tgname = 'cognomega_cache_keys'
					AND tgparentid = 0) THEN
			EXECUTE format('DROP TRIGGER cognomega_cache_keys ON %s', rel);
			RETURN NEXT format('dropped the cache key trigger on %s (the cache is bypassed for Citus tables)', rel);
		END IF;

		-- foreign keys Citus cannot keep: to this table's key when that key
		-- changes below, and from the reference table to distributed ones
		FOR c IN SELECT k.conname, k.conrelid::regclass AS src, pg_get_constraintdef(k.oid) AS def
				   FROM pg_constraint k
				  WHERE k.contype = 'f'
					AND ((k.confrelid = rel AND t.col IS NOT NULL
						  AND NOT (SELECT attnum FROM pg_attribute WHERE attrelid = rel AND attname = t.col)
							  = ANY (k.confkey))
						 OR (k.conrelid = rel AND t.col IS NULL))
					AND k.conparentid = 0
				  ORDER BY 2::text, 1
		LOOP
			EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.src, c.conname);
			RETURN NEXT format('dropped foreign key %I on %s (%s): Citus cannot enforce it in this layout',
							   c.conname, c.src, c.def);
		END LOOP;

		-- unique keys without the distribution column: the primary key
		-- gains it, the others go
		IF t.col IS NOT NULL THEN
			FOR c IN SELECT k.conname, k.contype, pg_get_constraintdef(k.oid) AS def,
							array_agg(a.attname ORDER BY x.i) AS cols
					   FROM pg_constraint k
					   CROSS JOIN LATERAL unnest(k.conkey) WITH ORDINALITY x(attnum, i)
					   JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.attnum
					  WHERE k.conrelid = rel AND k.contype IN ('p', 'u', 'x') AND k.conparentid = 0
					  GROUP BY k.oid, k.conname, k.contype
					 HAVING NOT t.col = ANY (array_agg(a.attname))
					  ORDER BY k.contype, k.conname
			LOOP
				IF c.contype = 'p' THEN
					cols := ARRAY[t.col] || c.cols;
					EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I, ADD PRIMARY KEY (%s)',
								   rel, c.conname,
								   (SELECT string_agg(quote_ident(x), ', ') FROM unnest(cols) x));
					RETURN NEXT format('changed the primary key of %s from %s to PRIMARY KEY (%s)',
									   rel, c.def, array_to_string(cols, ', '));
				ELSE
					EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', rel, c.conname);
					RETURN NEXT format('dropped constraint %I on %s (%s): Citus cannot enforce uniqueness without the distribution column %I',
									   c.conname, rel, c.def, t.col);
					IF c.contype = 'u' AND NOT EXISTS (
							SELECT FROM pg_index i WHERE i.indrelid = rel
							   AND i.indkey[0] = (SELECT attnum FROM pg_attribute
												   WHERE attrelid = rel AND attname = c.cols[1])) THEN
						EXECUTE format('CREATE INDEX ON %s (%s)', rel,
									   (SELECT string_agg(quote_ident(x), ', ') FROM unnest(c.cols) x));
						RETURN NEXT format('created an index on %s (%s) in its place (lookups only)',
										   rel, array_to_string(c.cols, ', '));
					END IF;
				END IF;
			END LOOP;
		END IF;

		IF EXISTS (SELECT FROM pg_class WHERE oid = rel AND relkind = 'p') THEN
			IF EXISTS (SELECT FROM pg_partition_tree(rel) p JOIN pg_class r ON r.oid = p.relid
						WHERE p.isleaf AND r.relpages > 0 OR pg_relation_size(p.relid) > 0) THEN
				moved := moved || rel;
			END IF;
		ELSIF pg_relation_size(rel) > 0 THEN
			moved := moved || rel;
		END IF;
		IF t.col IS NULL THEN
			PERFORM create_reference_table(rel);
			RETURN NEXT format('made %s a reference table (a copy on every node)', rel);
		ELSIF t.n = 'users' THEN
			PERFORM create_distributed_table(rel, t.col, shard_count => shard_count);
			RETURN NEXT format('distributed %s by %I (%s shards)', rel, t.col,
							   (SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = rel));
		ELSIF t.n = 'ai_agent_analytics' THEN
			PERFORM create_distributed_table(rel, t.col, colocate_with => 'none',
											 shard_count => shard_count);
			RETURN NEXT format('distributed %s by %I (%s shards, its own colocation group)', rel, t.col,
							   (SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = rel));
		ELSE
			PERFORM create_distributed_table(rel, t.col,
											 colocate_with => format('%I.%I', s, 'users'));
			RETURN NEXT format('distributed %s by %I, colocated with %I.users', rel, t.col, s);
		END IF;
	END LOOP;

	-- Citus copied the rows into the shards and left them in the local
	-- tables, where no query reads them any more: free that space
	FOREACH rel IN ARRAY moved
	LOOP
		PERFORM truncate_local_data_after_distributing_table(rel);
		RETURN NEXT format('removed the local copy of %s''s rows (they are in its shards)', rel);
	END LOOP;

	-- the query functions keyed by one user or agent run where it lives
	FOR t IN SELECT * FROM (VALUES
			(1, 'cognomega.user_with_apps(uuid)'::regprocedure, 'users'::name),
			(2, 'cognomega.user_agents_overview(uuid)', 'users'),
			(3, 'cognomega.agent_analytics(uuid,text)', 'ai_agent_analytics'),
			(4, 'cognomega._user_with_apps_routed(uuid,text[])', 'users'),
			(5, 'cognomega._user_agents_overview_routed(uuid,text[])', 'users'),
			(6, 'cognomega._agent_analytics_routed(uuid,text,text[])', 'ai_agent_analytics')) v(ord, f, tab)
			ORDER BY ord
	LOOP
		CONTINUE WHEN EXISTS (SELECT FROM pg_dist_object
							   WHERE classid = 'pg_proc'::regclass AND objid = t.f
								 AND distribution_argument_index IS NOT NULL);
		PERFORM create_distributed_function(t.f, '$1', colocate_with => format('%I.%I', s, t.tab),
										   force_delegation => t.ord IN (4, 6));
		RETURN NEXT format('distributed function %s by its first argument, colocated with %I.%I',
						   t.f, s, t.tab);
	END LOOP;

	-- the workers find the schema by a reference table in it
	-- (cognomega._citus_app_schema): created here, in this transaction
	FOR c IN SELECT p.logicalrelid AS rel
			   FROM pg_dist_partition p JOIN pg_class k ON k.oid = p.logicalrelid
			  WHERE k.relname = 'cognomega_app_schema'
				AND k.relnamespace <> (SELECT oid FROM pg_namespace WHERE nspname = s)
	LOOP
		EXECUTE format('DROP TABLE %s', c.rel);
		RETURN NEXT format('dropped %s: %I is the app schema now', c.rel, s);
	END LOOP;
	rel := to_regclass(format('%I.%I', s, 'cognomega_app_schema'));
	IF rel IS NULL THEN
		EXECUTE format('CREATE TABLE %I.cognomega_app_schema (note text)', s);
		EXECUTE format('COMMENT ON TABLE %I.cognomega_app_schema IS %L', s,
					   'made by cognomega.distribute(): the Citus workers find the platform''s schema by this reference table; keep it');
		rel := format('%I.%I', s, 'cognomega_app_schema')::regclass;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = rel) THEN
		PERFORM create_reference_table(rel);
		RETURN NEXT format('made %s a reference table: the workers find the app schema by it', rel);
	END IF;
END
$distribute$;

