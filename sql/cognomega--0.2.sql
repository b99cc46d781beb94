\echo Use "CREATE EXTENSION cognomega" to load this file. \quit

-- cognomega install script, part 0: what every capability shares.
-- Parts are concatenated in file-name order by the Makefile.

COMMENT ON SCHEMA cognomega IS 'cognomega: platform hot paths in the database';

-- The schema is the extension's; callers use qualified names.  Usage is
-- granted so that application roles can call the functions granted to them.
GRANT USAGE ON SCHEMA cognomega TO PUBLIC;

-- Whether this server loaded the library from shared_preload_libraries.
CREATE FUNCTION cognomega.preloaded()
RETURNS bool
LANGUAGE C STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'cognomega_preloaded';

-- cognomega install script, part 10: the platform's data model and its
-- recommended compound indexes (DESIGN.md section 1).  The tables themselves
-- are NOT created here: cognomega.setup() creates them later, as ordinary
-- tables owned by its caller, so that DROP EXTENSION never drops user data.

-- Where setup() put the platform tables.  One row at most.  The schema is
-- kept by name, not OID, so that a pg_dump/restore round trip keeps it.
CREATE TABLE cognomega.setup_config (
	singleton	bool PRIMARY KEY DEFAULT true CHECK (singleton),
	app_schema	name NOT NULL,
	set_up_at	timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE cognomega.setup_config IS
	'the schema cognomega.setup() created the platform tables in';
SELECT pg_catalog.pg_extension_config_dump('cognomega.setup_config', '');
-- readable by all: the query functions look the schema up as their caller;
-- only setup() writes it (as the table's owner, see setup.c)
GRANT SELECT ON cognomega.setup_config TO PUBLIC;

-- The recorded schema; 55000 with a hint when setup() has not run.
CREATE FUNCTION cognomega.app_schema()
RETURNS name
LANGUAGE C STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'cognomega_app_schema';

-- The recommended indexes.  "predicate" is written the way PostgreSQL 15
-- deparses it (pg_get_expr), so one string both creates the index and
-- recognises an equivalent one a DBA created by hand under another name.
CREATE VIEW cognomega.recommended_indexes AS
SELECT *
  FROM (VALUES
	(1, 'users'::name, 'users_tier_status_active_idx'::name,
	 '{subscription_tier,subscription_status,is_active}'::name[], '{f,f,f}'::bool[],
	 '(subscription_status = ''active''::text)',
	 'users(subscription_tier, subscription_status, is_active) WHERE subscription_status = ''active'''),
	(2, 'generated_apps', 'generated_apps_user_status_created_idx',
	 '{user_id,status,created_at}', '{f,f,t}',
	 '(status = ANY (ARRAY[''generating''::text, ''completed''::text]))',
	 'generated_apps(user_id, status, created_at DESC) WHERE status IN (''generating'',''completed'')'),
	(3, 'payments', 'payments_user_created_pending_idx',
	 '{user_id,created_at,status}', '{f,t,f}',
	 '(status = ''pending''::text)',
	 'payments(user_id, created_at DESC, status) WHERE status = ''pending'''),
	(4, 'voice_commands', 'voice_commands_user_language_created_idx',
	 '{user_id,language,created_at}', '{f,f,t}',
	 NULL,
	 'voice_commands(user_id, language, created_at DESC)'),
	(5, 'ai_agents', 'ai_agents_user_status_type_active_idx',
	 '{user_id,status,type}', '{f,f,f}',
	 '(status = ''active''::text)',
	 'ai_agents(user_id, status, type) WHERE status = ''active'''),
	(6, 'ai_agent_tasks', 'ai_agent_tasks_priority_status_created_idx',
	 '{priority,status,created_at}', '{f,f,f}',
	 '(status = ANY (ARRAY[''pending''::text, ''in_progress''::text]))',
	 'ai_agent_tasks(priority, status, created_at) WHERE status IN (''pending'',''in_progress'')'),
	(7, 'ai_agent_analytics', 'ai_agent_analytics_agent_period_created_idx',
	 '{agent_id,period,created_at}', '{f,f,t}',
	 NULL,
	 'ai_agent_analytics(agent_id, period, created_at DESC)')
  ) AS r(ord, table_name, index_name, columns, descending, predicate, definition);
COMMENT ON VIEW cognomega.recommended_indexes IS
	'the compound indexes cognomega.setup() creates for the platform''s query patterns';
GRANT SELECT ON cognomega.recommended_indexes TO PUBLIC;

-- An index on rel equivalent to the recommended one: btree, the same key
-- columns in the same order and direction, default operator classes and
-- collations, no expressions, the same predicate.  INCLUDE columns and
-- uniqueness are allowed (they do not make it less useful).  Among several,
-- the one named as recommended wins, then a valid one, then by name.
CREATE FUNCTION cognomega._equivalent_index(rel regclass, cols name[],
											descs bool[], pred text,
											preferred name)
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

-- The recorded app schema's OID, NULL when setup() has not run.
CREATE FUNCTION cognomega._app_schema_oid()
RETURNS oid
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT n.oid FROM cognomega.setup_config c
  JOIN pg_namespace n ON n.nspname = c.app_schema
$$;

-- Each recommended index with its table in the app schema (NULL when the
-- table is missing) and the equivalent index found on it, if any.
CREATE FUNCTION cognomega._recommended_in_place(
	OUT ord int, OUT table_oid regclass, OUT index_name name,
	OUT columns name[], OUT descending bool[], OUT predicate text,
	OUT definition text, OUT found regclass)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT r.ord, c.oid::regclass, r.index_name, r.columns, r.descending,
	   r.predicate, r.definition,
	   cognomega._equivalent_index(c.oid, r.columns, r.descending,
								   r.predicate, r.index_name)
  FROM cognomega.recommended_indexes r
  CROSS JOIN (SELECT cognomega._app_schema_oid() AS nsp) s
  LEFT JOIN pg_class c
	ON c.relnamespace = s.nsp AND c.relname = r.table_name
   AND c.relkind IN ('r', 'p')
 WHERE s.nsp IS NOT NULL
$$;

-- An index and, when it is partitioned, all its partitions' indexes.
CREATE FUNCTION cognomega._index_tree(idx regclass, OUT relid regclass)
RETURNS SETOF regclass
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT idx
 UNION
SELECT t.relid FROM pg_partition_tree(idx) t
$$;

-- One row per recommended index.  For a partitioned table, valid means the
-- parent index and every partition's index are valid, and size and scans
-- are summed over the partitions' indexes (what a DBA wants to see).
CREATE VIEW cognomega.index_status AS
SELECT p.table_oid AS table_name,
	   coalesce(ic.relname, p.index_name) AS index_name,
	   p.definition,
	   p.found IS NOT NULL AS present,
	   coalesce(t.valid, false) AS valid,
	   t.size,
	   t.scans
  FROM cognomega._recommended_in_place() p
  LEFT JOIN pg_catalog.pg_class ic ON ic.oid = p.found
  LEFT JOIN LATERAL (
	SELECT pg_catalog.bool_and(x.indisvalid) AS valid,
		   pg_catalog.sum(pg_catalog.pg_relation_size(x.indexrelid))::bigint AS size,
		   pg_catalog.sum(pg_catalog.pg_stat_get_numscans(x.indexrelid))::bigint AS scans
	  FROM cognomega._index_tree(p.found) pt
	  JOIN pg_catalog.pg_index x ON x.indexrelid = pt.relid
  ) t ON p.found IS NOT NULL
 ORDER BY p.ord;
COMMENT ON VIEW cognomega.index_status IS
	'one row per recommended index: present (an equivalent index exists), valid, size and scans';
GRANT SELECT ON cognomega.index_status TO PUBLIC;

-- A free relation name in nsp starting with base (base, base1, base2, ...),
-- truncated to NAMEDATALEN the way PostgreSQL truncates.
CREATE FUNCTION cognomega._free_relname(nsp oid, base text)
RETURNS name
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n int := 0;
	candidate name;
BEGIN
	LOOP
		candidate := CASE WHEN n = 0 THEN left(base, 63)
						  ELSE left(base, 63 - length(n::text)) || n END;
		EXIT WHEN NOT EXISTS (SELECT 1 FROM pg_class
							   WHERE relnamespace = nsp AND relname = candidate);
		n := n + 1;
	END LOOP;
	RETURN candidate;
END
$$;

-- CREATE INDEX statement for one recommended index on rel.
CREATE FUNCTION cognomega._create_index_sql(rel regclass, idxname name,
											cols name[], descs bool[],
											pred text, use_concurrently bool,
											only_parent bool)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT format('CREATE INDEX %s%I ON %s%s USING btree (%s)%s',
			  CASE WHEN use_concurrently THEN 'CONCURRENTLY ' ELSE '' END,
			  idxname,
			  CASE WHEN only_parent THEN 'ONLY ' ELSE '' END,
			  rel,
			  (SELECT string_agg(quote_ident(k.col) ||
								 CASE WHEN k.dsc THEN ' DESC' ELSE '' END,
								 ', ' ORDER BY k.n)
				 FROM unnest(cols, descs) WITH ORDINALITY AS k(col, dsc, n)),
			  CASE WHEN pred IS NULL THEN '' ELSE ' WHERE ' || pred END)
$$;

-- Whether an index and, for a partitioned one, all its partitions' indexes
-- are valid.
CREATE FUNCTION cognomega._index_tree_valid(idx regclass)
RETURNS bool
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT bool_and(x.indisvalid)
  FROM cognomega._index_tree(idx) t JOIN pg_index x ON x.indexrelid = t.relid
$$;

-- The (qualified) name of the recommended index on rel, a table or one of
-- its partitions: the equivalent index there, or the free name the next
-- statement would create.  On a partition the name is the partition's name
-- followed by the recommended index's suffix.
CREATE FUNCTION cognomega._index_name_on(rel regclass, top regclass,
										 top_name name, suffix text,
										 cols name[], descs bool[], pred text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT coalesce(
		cognomega._equivalent_index(rel, cols, descs, pred, w.want)::text,
		format('%I.%I', n.nspname, cognomega._free_relname(c.relnamespace, w.want)))
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL (SELECT CASE WHEN rel = top THEN top_name::text
								  ELSE c.relname || '_' || suffix END AS want) w
 WHERE c.oid = rel
$$;

-- The statements that build what is missing of one recommended index on a
-- partitioned table the way PostgreSQL allows on a live database: each leaf
-- partition's index (CONCURRENTLY when asked; REINDEX when it is invalid),
-- then each partitioned level's index ON ONLY, then ATTACH PARTITION of its
-- children's indexes.  Equivalent indexes already on partitions are reused
-- and only attached, so a half-applied run can be completed.
CREATE FUNCTION cognomega._partitioned_index_ddl(rel regclass, top regclass,
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
	IF (SELECT relkind FROM pg_class WHERE oid = rel) <> 'p' THEN
		IF existing IS NULL THEN
			RETURN NEXT cognomega._create_index_sql(rel, (parse_ident(myname))[2],
							cols, descs, pred, use_concurrently, false);
		ELSE
			RETURN NEXT format('REINDEX INDEX %s%s', conc, existing);
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
		IF existing IS NULL OR NOT EXISTS (
				SELECT 1 FROM pg_inherits i
				 WHERE i.inhparent = existing
				   AND i.inhrelid = to_regclass(child_idx)) THEN
			RETURN NEXT format('ALTER INDEX %s ATTACH PARTITION %s', myname, child_idx);
		END IF;
	END LOOP;
END
$$;

-- The statements that create the missing recommended indexes (and rebuild
-- invalid ones), in order, for psql's \gexec on a live database.
CREATE FUNCTION cognomega.missing_index_ddl(concurrently bool DEFAULT true)
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
COMMENT ON FUNCTION cognomega.missing_index_ddl(bool) IS
	'statements creating the missing recommended indexes, for psql \gexec';

-- What setup() runs for the missing recommended indexes: one plain CREATE
-- INDEX each (on a partitioned table PostgreSQL builds the partitions'
-- indexes too), with the line setup() reports.
CREATE FUNCTION cognomega._setup_index_ddl(OUT stmt text, OUT line text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT cognomega._create_index_sql(p.table_oid, n.name, p.columns,
								   p.descending, p.predicate, false, false),
	   format('created index %I on %s', n.name, p.table_oid)
  FROM cognomega._recommended_in_place() p
  JOIN pg_class c ON c.oid = p.table_oid
  CROSS JOIN LATERAL (SELECT cognomega._free_relname(c.relnamespace,
													 p.index_name) AS name) n
 WHERE p.found IS NULL
 ORDER BY p.ord
$$;

-- Creates the missing platform tables and recommended indexes in
-- app_schema and records it; one line per action, nothing when all is in
-- place.  SECURITY INVOKER: the tables belong to the caller, who needs
-- CREATE on the schema (and ownership of existing tables to index them).
CREATE FUNCTION cognomega.setup(app_schema name DEFAULT 'public')
RETURNS SETOF text
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'cognomega_setup';
COMMENT ON FUNCTION cognomega.setup(name) IS
	'creates the missing platform tables and recommended indexes in app_schema';
REVOKE ALL ON FUNCTION cognomega.setup(name) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Part 2: partition management (DESIGN.md section 2; src/partman.c)
-- ---------------------------------------------------------------------------

-- One row per managed parent.  Written by the functions below (as this
-- table's owner, after checking that the caller owns the parent); readable
-- by everyone; owners may not write it directly, superusers may tune it.
CREATE TABLE cognomega.part_config (
	parent					pg_catalog.regclass PRIMARY KEY,
	control					text NOT NULL,
	part_interval			interval NOT NULL CHECK (part_interval > interval '0'),
	premake					int NOT NULL DEFAULT 4 CHECK (premake >= 1),
	retention				interval CHECK (retention > interval '0'),
	retention_keep_table	bool NOT NULL DEFAULT false,
	time_zone				text NOT NULL DEFAULT 'UTC',
	maintenance_interval	interval CHECK (maintenance_interval > interval '0'),
	last_maintenance		timestamptz,
	last_error				text,
	created_at				timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE cognomega.part_config IS
	'cognomega: one row per managed RANGE-partitioned parent';
COMMENT ON COLUMN cognomega.part_config.time_zone IS
	'zone in which timestamptz partition bounds are computed, whatever the session TimeZone';
COMMENT ON COLUMN cognomega.part_config.maintenance_interval IS
	'how often the worker maintains this parent; NULL means cognomega.maintenance_interval';
SELECT pg_catalog.pg_extension_config_dump('cognomega.part_config', '');
REVOKE ALL ON cognomega.part_config FROM PUBLIC;
GRANT SELECT ON cognomega.part_config TO PUBLIC;

-- A managed parent that is dropped is forgotten.  Should the trigger not
-- fire (disabled), run_maintenance() reports the missing parent with a
-- WARNING, maintains the others, and undo_parent(oid) forgets it.
CREATE FUNCTION cognomega.part_config_forget_dropped()
RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF pg_catalog.to_regclass('cognomega.part_config') IS NULL THEN
		RETURN;
	END IF;
	DELETE FROM cognomega.part_config c
	USING pg_catalog.pg_event_trigger_dropped_objects() d
	WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
	  AND d.objsubid = 0
	  AND c.parent::pg_catalog.oid = d.objid;
END
$$;
REVOKE ALL ON FUNCTION cognomega.part_config_forget_dropped() FROM PUBLIC;

CREATE EVENT TRIGGER cognomega_forget_dropped_parents ON sql_drop
	WHEN TAG IN ('DROP TABLE', 'DROP SCHEMA', 'DROP OWNED')
	EXECUTE FUNCTION cognomega.part_config_forget_dropped();

-- Bounds of timestamptz keys are computed in UTC ...
CREATE FUNCTION cognomega.create_parent(parent pg_catalog.regclass, control text,
		part_interval interval, premake int DEFAULT 4,
		start_at timestamptz DEFAULT NULL, retention interval DEFAULT NULL,
		retention_keep_table bool DEFAULT false)
RETURNS int
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'cognomega_create_parent';

-- ... or in the zone given here (kept in part_config.time_zone).
CREATE FUNCTION cognomega.create_parent_in_zone(parent pg_catalog.regclass, control text,
		part_interval interval, time_zone text, premake int DEFAULT 4,
		start_at timestamptz DEFAULT NULL, retention interval DEFAULT NULL,
		retention_keep_table bool DEFAULT false)
RETURNS int
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'cognomega_create_parent_in_zone';

CREATE FUNCTION cognomega.run_maintenance(parent pg_catalog.regclass DEFAULT NULL)
RETURNS TABLE(parent pg_catalog.regclass, action text, partition text)
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'cognomega_run_maintenance';

-- Commits after each parent, so a parent's locks are held only while it is
-- maintained.  No SET clause: a procedure with one cannot COMMIT.
CREATE PROCEDURE cognomega.run_maintenance_proc()
LANGUAGE plpgsql
AS $$
DECLARE
	parents pg_catalog.regclass[];
	p pg_catalog.regclass;
BEGIN
	parents := ARRAY(
		SELECT c.parent FROM cognomega.part_config c
		LEFT JOIN pg_catalog.pg_class r ON r.oid OPERATOR(pg_catalog.=) c.parent::pg_catalog.oid
		WHERE r.oid IS NULL OR pg_catalog.pg_has_role(r.relowner, 'USAGE')
		ORDER BY c.parent::pg_catalog.oid);
	FOREACH p IN ARRAY parents LOOP
		PERFORM cognomega.run_maintenance(p);
		COMMIT;
	END LOOP;
END
$$;

CREATE FUNCTION cognomega.partition_data(parent pg_catalog.regclass,
		batch_rows int DEFAULT 10000)
RETURNS bigint
LANGUAGE C VOLATILE STRICT
AS 'MODULE_PATHNAME', 'cognomega_partition_data';

CREATE FUNCTION cognomega.show_partitions(parent pg_catalog.regclass)
RETURNS TABLE(partition pg_catalog.regclass, range_start timestamptz, range_end timestamptz)
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'cognomega_show_partitions';

CREATE FUNCTION cognomega.undo_parent(parent pg_catalog.regclass)
RETURNS bool
LANGUAGE C VOLATILE STRICT
AS 'MODULE_PATHNAME', 'cognomega_undo_parent';

CREATE FUNCTION cognomega.partition_status_rows(
		OUT parent pg_catalog.regclass, OUT partitions int,
		OUT oldest_start timestamptz, OUT newest_end timestamptz,
		OUT rows_in_default bigint, OUT premade_ahead int,
		OUT last_maintenance timestamptz, OUT needs_attention text)
RETURNS SETOF record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'cognomega_partition_status_rows';

-- rows_in_default is NULL where the caller may not read the default partition;
-- needs_attention is NULL when all is well.
CREATE VIEW cognomega.partition_status AS
	SELECT s.parent, s.partitions, s.oldest_start, s.newest_end, s.rows_in_default,
		   s.premade_ahead, s.last_maintenance, s.needs_attention
	FROM cognomega.partition_status_rows() s;

-- Callable by everyone: each function checks that the caller owns the parent
-- (42501 otherwise); run_maintenance() without a parent maintains the
-- parents the caller owns.
GRANT SELECT ON cognomega.partition_status TO PUBLIC;

-- ---------------------------------------------------------------------------
-- Part 3: shared-memory result cache (src/cache.c, src/cache_sql.c,
-- src/invalidate.c).  Everything needs shared_preload_libraries.
--
-- Grants: reading and writing one's own entries (keys are scoped by
-- database and current role) is for everyone.  cache_invalidate_relation
-- is for the relation's owner (checked in C).  Dropping every entry,
-- resetting statistics and sweeping are administrative: revoked from
-- PUBLIC, a DBA grants them deliberately.
-- ---------------------------------------------------------------------------

CREATE FUNCTION cognomega.cache_put(key text, value jsonb,
                                    ttl interval DEFAULT NULL,
                                    depends_on regclass[] DEFAULT '{}')
RETURNS bool
LANGUAGE C VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_put';
COMMENT ON FUNCTION cognomega.cache_put(text, jsonb, interval, regclass[]) IS
    'store value under key for the current role; false when not stored';

CREATE FUNCTION cognomega.cache_get(key text)
RETURNS jsonb
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_get';
COMMENT ON FUNCTION cognomega.cache_get(text) IS
    'the valid entry stored under key for the current role, NULL on a miss';

CREATE FUNCTION cognomega.cache_invalidate(key text)
RETURNS bool
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_invalidate';
COMMENT ON FUNCTION cognomega.cache_invalidate(text) IS
    'remove the current role''s entry for key; true when there was one';

CREATE FUNCTION cognomega.cache_invalidate_relation(rel regclass)
RETURNS bigint
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_invalidate_relation';
COMMENT ON FUNCTION cognomega.cache_invalidate_relation(regclass) IS
    'invalidate every entry depending on rel (or its partition tree); returns entries removed';

CREATE FUNCTION cognomega.cache_clear()
RETURNS bigint
LANGUAGE C VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_clear';
COMMENT ON FUNCTION cognomega.cache_clear() IS
    'remove every entry of every database and role; returns entries removed';

CREATE FUNCTION cognomega.cached_query(query text, ttl interval DEFAULT NULL)
RETURNS jsonb
LANGUAGE C VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cached_query';
COMMENT ON FUNCTION cognomega.cached_query(text, interval) IS
    'run a read-only query, its rows as a jsonb array, served from the cache when valid';

CREATE FUNCTION cognomega.cache_sweep()
RETURNS bigint
LANGUAGE C VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_sweep';
COMMENT ON FUNCTION cognomega.cache_sweep() IS
    'remove expired and invalidated entries now; returns how many (the cache_sweep job)';

CREATE FUNCTION cognomega.cache_reset_stats()
RETURNS void
LANGUAGE C VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_reset_stats';

CREATE FUNCTION cognomega.cache_stats_internal(
    OUT entries bigint, OUT bytes_used bigint, OUT bytes_total bigint,
    OUT hits bigint, OUT misses bigint, OUT stores bigint,
    OUT evictions bigint, OUT expirations bigint, OUT invalidations bigint,
    OUT hit_ratio float8)
RETURNS record
LANGUAGE C VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_stats';

CREATE VIEW cognomega.cache_stats AS
    SELECT entries, bytes_used, bytes_total, hits, misses, stores,
           evictions, expirations, invalidations, hit_ratio
    FROM cognomega.cache_stats_internal();
COMMENT ON VIEW cognomega.cache_stats IS
    'result cache figures since server start or cache_reset_stats()';

REVOKE ALL ON FUNCTION cognomega.cache_clear() FROM PUBLIC;
REVOKE ALL ON FUNCTION cognomega.cache_reset_stats() FROM PUBLIC;
REVOKE ALL ON FUNCTION cognomega.cache_sweep() FROM PUBLIC;
GRANT SELECT ON cognomega.cache_stats TO PUBLIC;

-- ---------------------------------------------------------------------------
-- Part 40: joined query functions (DESIGN.md section 3), src/queries.c.
--
-- Each answers one screen of the platform in one call, from a plan kept per
-- backend, through the result cache when it is usable.  They run as the
-- caller (SECURITY INVOKER): the caller needs SELECT on the tables read.
-- VOLATILE because a call reads the newest committed data (a fresh snapshot
-- in READ COMMITTED, like a cache hit would show), not the statement's.
-- PARALLEL RESTRICTED: the cache and the kept plans live in the leader.
-- ---------------------------------------------------------------------------

CREATE FUNCTION cognomega.user_with_apps(user_id uuid)
RETURNS jsonb
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'cognomega_user_with_apps';

COMMENT ON FUNCTION cognomega.user_with_apps(uuid) IS
'{"user": {all columns of the user row}, "apps": [{id, title, status, created_at}, ...] newest first}; NULL when the user does not exist';

CREATE FUNCTION cognomega.users_with_apps(user_ids uuid[])
RETURNS TABLE(user_id uuid, doc jsonb)
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED ROWS 20
AS 'MODULE_PATHNAME', 'cognomega_users_with_apps';

COMMENT ON FUNCTION cognomega.users_with_apps(uuid[]) IS
'user_with_apps for each existing user of the array, once each, in the order of first appearance; one query for all';

CREATE FUNCTION cognomega.agent_analytics(agent_id uuid, period text)
RETURNS jsonb
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'cognomega_agent_analytics';

COMMENT ON FUNCTION cognomega.agent_analytics(uuid, text) IS
'the newest ai_agent_analytics row of the agent and period as an object, NULL if none; scans partitions newest first and stops at the first holding a row';

CREATE FUNCTION cognomega.user_agents_overview(user_id uuid)
RETURNS jsonb
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'cognomega_user_agents_overview';

COMMENT ON FUNCTION cognomega.user_agents_overview(uuid) IS
'{"user_id": ..., "agents": [{id, name, type, status, created_at, pending, in_progress}, ...] active agents newest first}; NULL when the user does not exist';

-- The SQL text a joined query function prepares in this session, with the
-- parameters $1 (and $2): PREPARE it and EXPLAIN EXECUTE to see the plan.
CREATE FUNCTION cognomega.query_sql(function_name text)
RETURNS text
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'cognomega_query_sql';

COMMENT ON FUNCTION cognomega.query_sql(text) IS
'the SQL a joined query function (user_with_apps, users_with_apps, agent_analytics, user_agents_overview) prepares now, for EXPLAIN';

-- The query functions keep the schema setup() recorded per backend; this
-- trigger tells every backend when cognomega.setup_config changes (a
-- relcache invalidation of the table, delivered at commit).
CREATE FUNCTION cognomega._queries_setup_changed()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'cognomega_queries_setup_changed';

REVOKE ALL ON FUNCTION cognomega._queries_setup_changed() FROM PUBLIC;

CREATE TRIGGER queries_setup_changed
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cognomega.setup_config
FOR EACH STATEMENT EXECUTE FUNCTION cognomega._queries_setup_changed();

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
	OUT last_result text, OUT worker_pid int)
RETURNS SETOF record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'cognomega_job_status';

CREATE VIEW cognomega.job_status AS
	SELECT job, database, last_start, last_end, last_status, last_error,
		   runs, failures, next_run, last_result, worker_pid
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
	managed_tables		jsonb NOT NULL DEFAULT '{}'
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
-- (server restart, statistics or cache reset).
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
		   rows_in_default
	  FROM (SELECT h.*,
				   pg_catalog.lag(recorded_at) OVER w AS prev_at,
				   pg_catalog.lag(xact_commit) OVER w AS prev_commit,
				   pg_catalog.lag(xact_rollback) OVER w AS prev_rollback,
				   pg_catalog.lag(temp_bytes) OVER w AS prev_temp_bytes,
				   pg_catalog.lag(cache_hits) OVER w AS prev_hits,
				   pg_catalog.lag(cache_misses) OVER w AS prev_misses
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
	CONSTRAINT alerts_resolved_after_raised CHECK (resolved_at >= raised_at)
);

CREATE UNIQUE INDEX alerts_one_open ON cognomega.alerts (kind, subject)
	WHERE resolved_at IS NULL;

COMMENT ON TABLE cognomega.alerts IS
	'Alerts of the stats job: one open row per (kind, subject) while the condition lasts';

SELECT pg_catalog.pg_extension_config_dump('cognomega.alerts', '');
SELECT pg_catalog.pg_extension_config_dump('cognomega.alerts_id_seq', '');

REVOKE ALL ON cognomega.stats_history, cognomega.alerts, cognomega.stats_rates FROM PUBLIC;
GRANT SELECT ON cognomega.stats_history, cognomega.alerts, cognomega.stats_rates TO pg_monitor;
