
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

COMMENT ON FUNCTION cognomega.distribute(int) IS
'on a Citus coordinator after setup(): distribute the platform tables by user (analytics by agent, tasks as a reference table), one line per action; see docs/scale-out.md';

REVOKE ALL ON FUNCTION cognomega.distribute(int) FROM PUBLIC;
