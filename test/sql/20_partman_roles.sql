-- Privileges: the caller must own the parent (42501); an owner who is not
-- a superuser manages their own tables; partitions belong to the table's
-- owner; a parent dropped behind our back does not stop the others.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
DROP ROLE IF EXISTS pm_owner;
DROP ROLE IF EXISTS pm_other;
RESET client_min_messages;
CREATE ROLE pm_owner;
CREATE ROLE pm_other;
CREATE SCHEMA pm_roles AUTHORIZATION pm_owner;
SET search_path = pm_roles;
SET TimeZone = 'UTC';

SET ROLE pm_owner;
CREATE TABLE mine (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts);
CREATE TABLE mine2 (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
GRANT SELECT ON mine TO pm_other;
GRANT USAGE ON SCHEMA pm_roles TO pm_other;
-- a non-superuser owner manages their own table
SELECT cognomega.create_parent('mine', 'ts', '1 month', 1, '2100-01-01');
SELECT cognomega.create_parent('mine2', 'ts', '1 month', 1, '2100-01-01');
SELECT parent, premake FROM cognomega.part_config WHERE parent IN ('mine'::regclass, 'mine2'::regclass) ORDER BY 1;
-- but may not write part_config directly
UPDATE cognomega.part_config SET premake = 5 WHERE parent = 'mine'::regclass;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- someone else: 42501 everywhere it changes something
SET ROLE pm_other;
SELECT cognomega.create_parent('mine', 'ts', '1 month');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM cognomega.run_maintenance('mine');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.partition_data('mine');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.undo_parent('mine');
\echo :LAST_ERROR_SQLSTATE
-- run_maintenance() without a parent silently leaves others' tables alone
SELECT count(*) FROM cognomega.run_maintenance() WHERE parent IN ('mine'::regclass, 'mine2'::regclass);
-- reading is allowed
SELECT count(*) FROM cognomega.show_partitions('mine');
SELECT parent, partitions FROM cognomega.partition_status WHERE parent = 'mine'::regclass;
RESET ROLE;

-- unmanaged table of someone else: ownership is checked first
CREATE TABLE pm_roles.not_mine (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SET ROLE pm_other;
SELECT cognomega.create_parent('not_mine', 'ts', '1 month');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM cognomega.run_maintenance('not_mine');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.partition_data('not_mine');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- maintenance as a superuser creates partitions owned by the table's owner
SELECT action, count(*) FROM cognomega.run_maintenance('mine') GROUP BY action;
SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'mine'::regclass;

-- the owner runs the procedure too
SELECT count(*) AS current_before FROM cognomega.show_partitions('mine2') WHERE range_start < '2100-01-01';
SET ROLE pm_owner;
CALL cognomega.run_maintenance_proc();
RESET ROLE;
SELECT count(*) AS current_after_proc FROM cognomega.show_partitions('mine2') WHERE range_start < '2100-01-01';
-- ... but not in a transaction block (it commits)
BEGIN;
CALL cognomega.run_maintenance_proc();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- a managed parent dropped behind our back (the event trigger that forgets
-- dropped parents disabled): a WARNING for it, the others are maintained
ALTER EVENT TRIGGER cognomega_forget_dropped_parents DISABLE;
DROP TABLE mine2;
ALTER EVENT TRIGGER cognomega_forget_dropped_parents ENABLE ALWAYS;
UPDATE cognomega.part_config SET premake = 3 WHERE parent = 'mine'::regclass;
SET client_min_messages = error;	-- the WARNING names an OID
SELECT action, count(*) FROM cognomega.run_maintenance() WHERE parent = 'mine'::regclass GROUP BY action;
RESET client_min_messages;
SELECT regexp_replace(needs_attention, '[0-9]+', 'N', 'g') FROM cognomega.partition_status WHERE parent::oid NOT IN (SELECT oid FROM pg_class);
SELECT regexp_replace(last_error, '[0-9]+', 'N', 'g') AS error_recorded FROM cognomega.part_config WHERE parent::oid NOT IN (SELECT oid FROM pg_class);
SELECT cognomega.undo_parent(parent) FROM cognomega.part_config WHERE parent::oid NOT IN (SELECT oid FROM pg_class);
SELECT last_error FROM cognomega.part_config WHERE parent = 'mine'::regclass;

-- normally a dropped parent is simply forgotten, also when its owner drops it
SET ROLE pm_owner;
DROP TABLE mine;
RESET ROLE;
SELECT count(*) AS forgotten FROM cognomega.part_config WHERE parent::oid NOT IN (SELECT oid FROM pg_class);
SET ROLE pm_owner;
CREATE TABLE gone (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent('gone', 'ts', '1 month', 1, '2100-01-01');
RESET ROLE;
SET client_min_messages = warning;
DROP SCHEMA pm_roles CASCADE;
RESET client_min_messages;
SELECT count(*) AS forgotten_with_schema FROM cognomega.part_config WHERE parent::oid NOT IN (SELECT oid FROM pg_class);
RESET search_path;
RESET TimeZone;
SET client_min_messages = warning;
DROP ROLE pm_owner;
DROP ROLE pm_other;
RESET client_min_messages;
