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
