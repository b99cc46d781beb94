-- The jobs run as a superuser (the worker's role, or a DBA calling
-- run_job); an operator planted by another role in a schema on the
-- search_path, of argument types pg_catalog has no exact operator for,
-- must never run with those rights (CVE-2018-1058 pattern).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
DROP ROLE IF EXISTS wk_untrusted;
RESET client_min_messages;
CREATE ROLE wk_untrusted;
CREATE SCHEMA wk_ops AUTHORIZATION wk_untrusted;

SET ROLE wk_untrusted;
CREATE TABLE wk_ops.calls (who name, super bool);
GRANT INSERT ON wk_ops.calls TO PUBLIC;
CREATE TABLE wk_ops.m (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent('wk_ops.m', 'ts', '1 month', 1, '2100-01-01') > 0 AS created;
CREATE FUNCTION wk_ops.spy_regclass(regclass, regclass) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO wk_ops.calls SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user;
	RETURN $1::oid OPERATOR(pg_catalog.=) $2::oid;
END $$;
CREATE FUNCTION wk_ops.spy_float8_int4(float8, int4) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO wk_ops.calls SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user;
	RETURN $1 OPERATOR(pg_catalog.>=) $2;
END $$;
CREATE FUNCTION wk_ops.spy_interval_numeric(interval, numeric) RETURNS interval LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO wk_ops.calls SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user;
	RETURN $1 OPERATOR(pg_catalog.*) $2::float8;
END $$;
CREATE OPERATOR wk_ops.= (LEFTARG = regclass, RIGHTARG = regclass, FUNCTION = wk_ops.spy_regclass);
CREATE OPERATOR wk_ops.* (LEFTARG = interval, RIGHTARG = numeric, FUNCTION = wk_ops.spy_interval_numeric);
CREATE OPERATOR wk_ops.>= (LEFTARG = float8, RIGHTARG = int4, FUNCTION = wk_ops.spy_float8_int4);
RESET ROLE;

-- the untrusted schema after pg_catalog, as public is in "$user", public
-- (no partitions left: the stats job judges how late the parent is, the
-- maintenance job makes them again)
SELECT format('DROP TABLE %s', partition) FROM cognomega.show_partitions('wk_ops.m') \gexec
SET search_path = pg_catalog, wk_ops;
SELECT cognomega.run_job('stats') ~ '^stats: 1 row recorded' AS recorded;
SELECT cognomega.run_job('partition_maintenance') ~ '^partition_maintenance: ' AS maintained;
RESET search_path;
SELECT count(*) AS superuser_calls FROM wk_ops.calls WHERE super;

SELECT cognomega.undo_parent('wk_ops.m');
SET client_min_messages = warning;
DROP SCHEMA wk_ops CASCADE;
DROP ROLE wk_untrusted;
RESET client_min_messages;
