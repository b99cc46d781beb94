-- cognomega 0.2 -> 0.3
\echo Use "ALTER EXTENSION cognomega UPDATE TO '0.3'" to load this file. \quit

-- Every change made to sql/src since 0.2 is repeated here, in the order of
-- sql/src; test/t/012_upgrade.pl checks that 0.2 + this script equals a
-- fresh 0.3.

-- issue 22: only rows whose parent exists are dumped; a row inserted for a
-- registered parent replaces it (a restore's COPY never conflicts); dropped
-- parents are forgotten on every command tag, also in replica mode.
SELECT pg_catalog.pg_extension_config_dump('cognomega.part_config',
	'WHERE EXISTS (SELECT FROM pg_catalog.pg_class c'
	' WHERE c.oid OPERATOR(pg_catalog.=) parent::pg_catalog.oid)');

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
