-- An operator planted in a schema on the search_path never runs with a
-- superuser's rights inside partition management (CVE-2018-1058 pattern):
-- part_config is written as its owner, and maintenance runs as superuser
-- (the worker, pg_cron, a DBA), so every operator in the SQL we run is
-- qualified.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
DROP ROLE IF EXISTS pm_sp_user;
RESET client_min_messages;
CREATE ROLE pm_sp_user;
CREATE SCHEMA pm_sp AUTHORIZATION pm_sp_user;
SET TimeZone = 'UTC';

SET ROLE pm_sp_user;
CREATE TABLE pm_sp.calls (who name, super bool);
GRANT INSERT ON pm_sp.calls TO PUBLIC;
CREATE TABLE pm_sp.m (ts timestamptz NOT NULL, d date) PARTITION BY RANGE (ts);
CREATE TABLE pm_sp.dm (d date NOT NULL) PARTITION BY RANGE (d);
SELECT cognomega.create_parent('pm_sp.m', 'ts', '1 month', 1, '2100-01-01') > 0 AS created;
-- operators of exactly the types partman compares, recording who runs them
CREATE FUNCTION pm_sp.spy_regclass(regclass, regclass) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO pm_sp.calls SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user;
	RETURN $1::oid OPERATOR(pg_catalog.=) $2::oid;
END $$;
CREATE FUNCTION pm_sp.spy_tstz(timestamptz, timestamptz) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO pm_sp.calls SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user;
	RETURN $1 OPERATOR(pg_catalog.<) $2;
END $$;
CREATE OPERATOR pm_sp.= (LEFTARG = regclass, RIGHTARG = regclass, FUNCTION = pm_sp.spy_regclass);
CREATE OPERATOR pm_sp.< (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = pm_sp.spy_tstz);
RESET ROLE;

-- a superuser whose search_path reaches the planted operators
SET search_path = pm_sp, pg_catalog, public;
SELECT count(*) > 0 AS maintained FROM cognomega.run_maintenance();
INSERT INTO m VALUES ('1999-01-05');
SELECT action, partition FROM cognomega.run_maintenance('m') WHERE partition LIKE '%1999%';
INSERT INTO m VALUES ('1998-01-05');
SELECT cognomega.partition_data('m') AS moved;
SELECT parent, rows_in_default FROM cognomega.partition_status WHERE parent::text = 'm';
SELECT cognomega.create_parent('dm', 'd', '1 day', 1, '2100-01-01') AS created;
SELECT cognomega.undo_parent('dm');
-- the owner too: whatever runs as part_config's owner is not theirs to change
SET ROLE pm_sp_user;
SELECT cognomega.create_parent('dm', 'd', '1 day', 1, '2100-01-01') AS created;
SELECT count(*) > 0 AS maintained FROM cognomega.run_maintenance('dm');
SELECT cognomega.undo_parent('dm');
RESET ROLE;
CALL cognomega.run_maintenance_proc();

-- no planted operator ran as a superuser (as the owner, in the owner's own
-- statements, it may)
RESET search_path;
SELECT count(*) AS superuser_calls FROM pm_sp.calls WHERE super;

SELECT cognomega.undo_parent('pm_sp.m');
RESET TimeZone;
SET client_min_messages = warning;
DROP SCHEMA pm_sp CASCADE;
DROP ROLE pm_sp_user;
RESET client_min_messages;
