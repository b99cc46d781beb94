
-- cognomega install script, part 10: the platform's data model and its
-- recommended compound indexes (docs/setup.md).  The tables themselves
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
CREATE FUNCTION cognomega._equivalent_index(rel pg_catalog.regclass, cols name[],
											descs bool[], pred text,
											preferred name)
RETURNS pg_catalog.regclass
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
	OUT ord int, OUT table_oid pg_catalog.regclass, OUT index_name name,
	OUT columns name[], OUT descending bool[], OUT predicate text,
	OUT definition text, OUT found pg_catalog.regclass)
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
CREATE FUNCTION cognomega._index_tree(idx pg_catalog.regclass, OUT relid pg_catalog.regclass)
RETURNS SETOF pg_catalog.regclass
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
CREATE FUNCTION cognomega._create_index_sql(rel pg_catalog.regclass, idxname name,
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
CREATE FUNCTION cognomega._index_tree_valid(idx pg_catalog.regclass)
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
CREATE FUNCTION cognomega._index_name_on(rel pg_catalog.regclass, top pg_catalog.regclass,
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

-- Whether a partitioned table has a foreign table among its partitions (at
-- any level): no index can be built on it, and PostgreSQL then never
-- validates an ON ONLY index of the table (it counts the partitions).
CREATE FUNCTION cognomega._has_foreign_partition(rel pg_catalog.regclass)
RETURNS bool
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT FROM pg_partition_tree(rel) t
				 JOIN pg_class c ON c.oid = t.relid
				WHERE c.relkind = 'f')
$$;

-- The statements that build what is missing of one recommended index on a
-- partitioned table the way PostgreSQL allows on a live database: each leaf
-- partition's index (CONCURRENTLY when asked; REINDEX when it is invalid),
-- then each partitioned level's index ON ONLY, then ATTACH PARTITION of its
-- children's indexes.  Equivalent indexes already on partitions are reused
-- and only attached, so a half-applied run can be completed.
CREATE FUNCTION cognomega._partitioned_index_ddl(rel pg_catalog.regclass, top pg_catalog.regclass,
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

-- The name a new index of a rebuilt tree gets on rel: the recommended name
-- (on a partition, its name and the suffix), made free.
CREATE FUNCTION cognomega._fresh_index_name(rel pg_catalog.regclass, top pg_catalog.regclass,
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

-- An index on rel equivalent to the recommended one (as _equivalent_index)
-- that is not part of the tree of index old: what a heal interrupted before
-- (statement_timeout, psql carrying on) left of the new tree, to reuse.
CREATE FUNCTION cognomega._equivalent_index_outside(rel pg_catalog.regclass, cols name[],
													descs bool[], pred text,
													preferred name, old pg_catalog.regclass)
RETURNS pg_catalog.regclass
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
CREATE FUNCTION cognomega._fresh_partitioned_index_ddl(rel pg_catalog.regclass, top pg_catalog.regclass,
													   top_name name, suffix text,
													   cols name[], descs bool[],
													   pred text, old pg_catalog.regclass)
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

-- Whether a recommended index on a partitioned table is invalid although
-- nothing is left to build or attach: PostgreSQL validates a partitioned
-- index only on an actual ATTACH, so an ON ONLY index whose last ATTACH
-- never ran (its partition dropped or detached since, a run interrupted)
-- stays invalid for good.  Only a new index heals it.
CREATE FUNCTION cognomega._index_stuck_invalid(rel pg_catalog.regclass, idx pg_catalog.regclass,
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
COMMENT ON FUNCTION cognomega.missing_index_ddl(bool) IS
	'statements creating the missing recommended indexes, for psql \gexec';

-- What setup() runs for the missing recommended indexes: one plain CREATE
-- INDEX each (on a partitioned table PostgreSQL builds the partitions'
-- indexes too), with the line setup() reports.  A partitioned index that
-- is invalid with nothing left to attach is dropped and built again.
CREATE FUNCTION cognomega._setup_index_ddl(OUT stmt text, OUT line text)
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
