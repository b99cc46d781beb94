
-- ---------------------------------------------------------------------------
-- Part 2: partition management (docs/partman.md; src/partman*.c)
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
-- Only rows whose parent exists are dumped: pg_dump writes a regclass that
-- names no table as a bare number, which a restore would resolve to
-- whatever table has that OID there (issue 22).  A dumped row names its
-- parent schema-qualified and comes back to the table of that name.
-- Only rows whose parent exists are dumped (so a row always names its
-- table), and not the history tables' own rows: the first job run after a
-- restore registers them again, adopting their restored partitions.
SELECT pg_catalog.pg_extension_config_dump('cognomega.part_config',
	'WHERE EXISTS (SELECT FROM pg_catalog.pg_class c'
	' WHERE c.oid OPERATOR(pg_catalog.=) parent::pg_catalog.oid)'
	' AND parent OPERATOR(pg_catalog.<>) ALL (ARRAY[''cognomega.stats_history'','
	' ''cognomega.job_history'']::pg_catalog.regclass[])');
REVOKE ALL ON cognomega.part_config FROM PUBLIC;
-- every column but last_error (an error can quote a row): each owner reads
-- its parents' messages in partition_status.needs_attention, pg_monitor all
GRANT SELECT (parent, control, part_interval, premake, retention, retention_keep_table,
	time_zone, maintenance_interval, last_maintenance, created_at)
	ON cognomega.part_config TO PUBLIC;
GRANT SELECT ON cognomega.part_config TO pg_monitor;

-- A row inserted for a parent already registered replaces that row, so that
-- the COPY of a restore (whose rows are the dumped configuration) never
-- fails on the primary key because the parent was registered in the target
-- first (stats_history by a stats run, or by hand).  Enabled ALWAYS: also
-- under session_replication_role = replica.
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

-- Every command tag: a table can also go with DROP TYPE/DOMAIN/OPERATOR
-- CLASS/EXTENSION/SERVER ... CASCADE.  ENABLE ALWAYS: also under
-- session_replication_role = replica.
CREATE EVENT TRIGGER cognomega_forget_dropped_parents ON sql_drop
	EXECUTE FUNCTION cognomega.part_config_forget_dropped();
ALTER EVENT TRIGGER cognomega_forget_dropped_parents ENABLE ALWAYS;

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
