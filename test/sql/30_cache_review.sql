-- Holes an adversarial review of the result cache found (issue 18), each
-- failing before its fix: imported snapshots, function privileges, functions
-- outside expression nodes, parse-time settings, session-private objects, a
-- nested cached_query of the same text, security_invoker views.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;

CREATE SCHEMA cache_rv;
CREATE TABLE cache_rv.snap (v int);
INSERT INTO cache_rv.snap VALUES (10);
CREATE TABLE cache_rv.emp (id int);
INSERT INTO cache_rv.emp VALUES (1), (2);
SELECT cognomega.cache_clear() >= 0 AS cleared;

-- connections to this database, as this role
SELECT format('dbname=%s user=%s port=%s host=%s', current_database(),
              current_user, current_setting('port'),
              split_part(current_setting('unix_socket_directories'), ',', 1))
    AS conn \gset
SELECT format('dbname=postgres user=%s port=%s host=%s', current_user,
              current_setting('port'),
              split_part(current_setting('unix_socket_directories'), ',', 1))
    AS conn_pg \gset
SELECT dblink_connect('rv_exp', :'conn');
SELECT dblink_connect('rv_imp', :'conn');

-- 1. imported snapshots.  An exporter's snapshot sees v = 10; then v = 11
-- commits; a transaction begun afterwards imports the old snapshot.  It must
-- neither store its old view (through cached_query or cache_put) ...
SELECT dblink_exec('rv_exp', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
SELECT snap FROM dblink('rv_exp', 'SELECT pg_export_snapshot()') AS x(snap text) \gset
UPDATE cache_rv.snap SET v = 11;
SELECT dblink_exec('rv_imp', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
SELECT dblink_exec('rv_imp', format('SET TRANSACTION SNAPSHOT %L', :'snap'));
SELECT * FROM dblink('rv_imp', $$
    SELECT v, cognomega.cached_query('SELECT v FROM cache_rv.snap')::text,
           cognomega.cache_put('rv_snap', to_jsonb(v), NULL, '{cache_rv.snap}')
    FROM cache_rv.snap$$) AS x(v int, cached text, put bool);
SELECT dblink_exec('rv_imp', 'COMMIT');
SELECT cognomega.cached_query('SELECT v FROM cache_rv.snap');
SELECT cognomega.cache_get('rv_snap');
-- ... nor be served an entry newer than its snapshot (the one just stored)
SELECT cognomega.cached_query('SELECT v FROM cache_rv.snap');
SELECT dblink_exec('rv_imp', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
SELECT dblink_exec('rv_imp', format('SET TRANSACTION SNAPSHOT %L', :'snap'));
SELECT * FROM dblink('rv_imp', $$
    SELECT v, cognomega.cached_query('SELECT v FROM cache_rv.snap')::text
    FROM cache_rv.snap$$) AS x(v int, cached text);
SELECT dblink_exec('rv_imp', 'COMMIT');
SELECT dblink_exec('rv_exp', 'COMMIT');
-- a pure key/value put (no dependencies) needs no fence: still stored
SELECT dblink_exec('rv_imp', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
SELECT dblink_exec('rv_exp', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
SELECT snap FROM dblink('rv_exp', 'SELECT pg_export_snapshot()') AS x(snap text) \gset
SELECT dblink_exec('rv_imp', format('SET TRANSACTION SNAPSHOT %L', :'snap'));
SELECT * FROM dblink('rv_imp', $$SELECT cognomega.cache_put('rv_plain', '1')$$)
    AS x(put bool);
SELECT dblink_exec('rv_imp', 'COMMIT');
SELECT dblink_exec('rv_exp', 'COMMIT');
-- an ordinary REPEATABLE READ transaction is still served and stores
SELECT dblink_exec('rv_imp', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
SELECT * FROM dblink('rv_imp', $$
    SELECT cognomega.cached_query('SELECT v FROM cache_rv.snap')::text$$)
    AS x(cached text);
SELECT dblink_exec('rv_imp', 'COMMIT');

-- 2. a hit re-checks EXECUTE on the functions the query calls (and USAGE on
-- their schemas), as the executor and the parser would.  The membership is
-- revoked from another database: that invalidates nothing here (role DDL in
-- this database does, below), so the entries are still valid.
-- the SQLSTATE and message of q's error
CREATE FUNCTION cache_rv.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE ROLE cognomega_rv_alice;
CREATE ROLE cognomega_rv_payroll;
GRANT USAGE ON SCHEMA cache_rv TO cognomega_rv_alice;
GRANT SELECT ON cache_rv.emp TO cognomega_rv_alice;
CREATE FUNCTION cache_rv.bonus(int) RETURNS int IMMUTABLE LANGUAGE plpgsql
    AS 'BEGIN RETURN $1 * 100; END';
REVOKE EXECUTE ON FUNCTION cache_rv.bonus(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cache_rv.bonus(int) TO cognomega_rv_payroll;
CREATE SCHEMA cache_rv_pay;
GRANT USAGE ON SCHEMA cache_rv_pay TO cognomega_rv_payroll;
CREATE FUNCTION cache_rv_pay.salary(int) RETURNS int IMMUTABLE LANGUAGE plpgsql
    AS 'BEGIN RETURN $1 * 1000; END';
GRANT cognomega_rv_payroll TO cognomega_rv_alice;
SET ROLE cognomega_rv_alice;
SELECT cognomega.cached_query('SELECT cache_rv.bonus(id) AS b FROM cache_rv.emp ORDER BY id');
SELECT cognomega.cached_query('SELECT cache_rv_pay.salary(id) AS s FROM cache_rv.emp ORDER BY id');
SELECT cognomega.cached_query('SELECT cache_rv.bonus(id) AS b FROM cache_rv.emp ORDER BY id');
RESET ROLE;
SELECT dblink_exec(:'conn_pg', 'REVOKE cognomega_rv_payroll FROM cognomega_rv_alice');
SET ROLE cognomega_rv_alice;
SELECT cache_rv.err($$SELECT cache_rv.bonus(id) AS b FROM cache_rv.emp ORDER BY id$$);
SELECT cache_rv.err($$SELECT cognomega.cached_query('SELECT cache_rv.bonus(id) AS b FROM cache_rv.emp ORDER BY id')$$);
SELECT cache_rv.err($$SELECT cache_rv_pay.salary(id) AS s FROM cache_rv.emp ORDER BY id$$);
SELECT cache_rv.err($$SELECT cognomega.cached_query('SELECT cache_rv_pay.salary(id) AS s FROM cache_rv.emp ORDER BY id')$$);
RESET ROLE;
-- granted again: served again (a hit)
SELECT dblink_exec(:'conn_pg', 'GRANT cognomega_rv_payroll TO cognomega_rv_alice');
SELECT cognomega.cache_reset_stats();
SET ROLE cognomega_rv_alice;
SELECT cognomega.cached_query('SELECT cache_rv.bonus(id) AS b FROM cache_rv.emp ORDER BY id');
RESET ROLE;
SELECT hits FROM cognomega.cache_stats;
-- a membership change in this database is DDL: it invalidates (a miss)
REVOKE cognomega_rv_payroll FROM cognomega_rv_alice;
GRANT cognomega_rv_payroll TO cognomega_rv_alice;
SET ROLE cognomega_rv_alice;
SELECT cognomega.cached_query('SELECT cache_rv.bonus(id) AS b FROM cache_rv.emp ORDER BY id');
RESET ROLE;
SELECT hits, misses FROM cognomega.cache_stats;

-- 3. functions reached outside expression nodes count for the volatility
-- rule: an aggregate's transition function, a cast to json used by the
-- output conversion, a domain CHECK.
CREATE TABLE cache_rv.factor (f int);
INSERT INTO cache_rv.factor VALUES (2);
CREATE FUNCTION cache_rv.acc(int, int) RETURNS int VOLATILE LANGUAGE sql
    AS 'SELECT coalesce($1, 0) + $2 * (SELECT f FROM cache_rv.factor)';
CREATE AGGREGATE cache_rv.wsum(int) (sfunc = cache_rv.acc, stype = int);
CREATE TYPE cache_rv.mood AS ENUM ('sad', 'ok');
CREATE TABLE cache_rv.moods (m cache_rv.mood);
INSERT INTO cache_rv.moods VALUES ('ok');
CREATE FUNCTION cache_rv.mood_json(cache_rv.mood) RETURNS json VOLATILE LANGUAGE sql
    AS $$SELECT to_json($1::text || (SELECT f FROM cache_rv.factor))$$;
CREATE CAST (cache_rv.mood AS json) WITH FUNCTION cache_rv.mood_json(cache_rv.mood);
CREATE FUNCTION cache_rv.under_factor(int) RETURNS bool VOLATILE LANGUAGE sql
    AS 'SELECT $1 <= (SELECT f FROM cache_rv.factor)';
CREATE DOMAIN cache_rv.small AS int CHECK (cache_rv.under_factor(VALUE));
SELECT cognomega.cached_query('SELECT cache_rv.wsum(id) AS s FROM cache_rv.emp');
SELECT cognomega.cached_query('SELECT m FROM cache_rv.moods');
SELECT cognomega.cached_query('SELECT id::cache_rv.small AS s FROM cache_rv.emp ORDER BY id');
UPDATE cache_rv.factor SET f = 1;
SELECT cognomega.cached_query('SELECT cache_rv.wsum(id) AS s FROM cache_rv.emp');
SELECT cognomega.cached_query('SELECT m FROM cache_rv.moods');
\set VERBOSITY sqlstate
SELECT id::cache_rv.small AS s FROM cache_rv.emp ORDER BY id;
SELECT cognomega.cached_query('SELECT id::cache_rv.small AS s FROM cache_rv.emp ORDER BY id');
\set VERBOSITY default
-- an immutable domain check and a built-in aggregate are still stored
CREATE DOMAIN cache_rv.pos AS int CHECK (VALUE > 0);
SELECT cognomega.cache_reset_stats();
SELECT cognomega.cached_query('SELECT sum(id::cache_rv.pos) AS s FROM cache_rv.emp');
SELECT cognomega.cached_query('SELECT sum(id::cache_rv.pos) AS s FROM cache_rv.emp');
SELECT stores, hits FROM cognomega.cache_stats;

-- 4. settings that change how the text parses are part of the key
SELECT cognomega.cache_reset_stats();
SET transform_null_equals = on;
SELECT cognomega.cached_query('SELECT NULL::int = NULL AS b');
SET transform_null_equals = off;
SELECT cognomega.cached_query('SELECT NULL::int = NULL AS b');
SET array_nulls = off;
SELECT cognomega.cached_query($q$SELECT '{NULL}'::text[] AS a$q$);
SET array_nulls = on;
SELECT cognomega.cached_query($q$SELECT '{NULL}'::text[] AS a$q$);
SET standard_conforming_strings = off;
SET escape_string_warning = off;
SELECT cognomega.cached_query($q$SELECT 'a\\b' AS s$q$);
SET standard_conforming_strings = on;
SELECT cognomega.cached_query($q$SELECT 'a\\b' AS s$q$);
SET TimeZone = 'UTC';
SET timezone_abbreviations = 'India';
SELECT cognomega.cached_query($q$SELECT '2020-01-01 12:00 IST'::timestamptz AS t$q$);
SET timezone_abbreviations = 'Default';
SELECT cognomega.cached_query($q$SELECT '2020-01-01 12:00 IST'::timestamptz AS t$q$);
RESET TimeZone;
-- the kept plan is parsed again when they change: a literal was folded
-- under the old DateStyle (which was already part of the key)
SET DateStyle = 'ISO, MDY';
SELECT cognomega.cached_query($q$SELECT '01/02/2020'::date AS d$q$);
SET DateStyle = 'ISO, DMY';
SELECT cognomega.cached_query($q$SELECT '01/02/2020'::date AS d$q$);
RESET DateStyle;
SELECT stores, hits FROM cognomega.cache_stats;

-- 5. session-private objects other than tables: another session's pg_temp.f
-- and a temporary domain are other objects
-- (each session's DDL comes first: DDL invalidates; an unqualified type
-- name looks in pg_temp first)
SELECT dblink_exec('rv_imp', $$
    CREATE FUNCTION pg_temp.rv_f() RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT 2'$$);
CREATE FUNCTION pg_temp.rv_f() RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT 1';
CREATE DOMAIN cache_rv.dom AS int CHECK (VALUE > 0);
CREATE DOMAIN pg_temp.dom AS int CHECK (VALUE > 5);
SELECT cognomega.cached_query('SELECT pg_temp.rv_f() AS v');
SELECT * FROM dblink('rv_imp', $$
    SELECT cognomega.cached_query('SELECT pg_temp.rv_f() AS v')::text$$) AS x(v text);
SELECT * FROM dblink('rv_imp', $$
    SET search_path = cache_rv;
    SELECT cognomega.cached_query('SELECT 3::dom AS d')::text$$) AS x(v text);
SET search_path = cache_rv;
\set VERBOSITY sqlstate
SELECT 3::dom AS d;
SELECT cognomega.cached_query('SELECT 3::dom AS d');
\set VERBOSITY default
RESET search_path;

-- 6. a nested cached_query of the same text that parses it again (a new
-- function) must not free the plan the outer call is still running: while
-- the outer call runs, its plan's CachedPlanSource is still there
CREATE FUNCTION cache_rv.reenter() RETURNS int VOLATILE LANGUAGE plpgsql AS $$
DECLARE
    n int;
BEGIN
    IF current_setting('cache_rv.depth', true) = '1' THEN
        RETURN 0;
    END IF;
    PERFORM set_config('cache_rv.depth', '1', true);
    CREATE OR REPLACE FUNCTION cache_rv.dummy() RETURNS int LANGUAGE sql AS 'SELECT 1';
    PERFORM cognomega.cached_query('SELECT cache_rv.reenter() AS r');
    PERFORM set_config('cache_rv.depth', '0', true);
    SELECT count(*) INTO n FROM pg_backend_memory_contexts
        WHERE name = 'CachedPlanSource' AND ident = 'SELECT cache_rv.reenter() AS r';
    RETURN n;
END $$;
SELECT cognomega.cached_query('SELECT cache_rv.reenter() AS r');
SELECT cognomega.cached_query('SELECT cache_rv.reenter() AS r');

-- 7. a security_invoker view needs no USAGE on its base table's schema
CREATE SCHEMA cache_rv_hidden;
CREATE TABLE cache_rv_hidden.base (x int);
INSERT INTO cache_rv_hidden.base VALUES (1);
GRANT SELECT ON cache_rv_hidden.base TO cognomega_rv_alice;
CREATE VIEW cache_rv.inv WITH (security_invoker = true)
    AS SELECT x FROM cache_rv_hidden.base;
GRANT SELECT ON cache_rv.inv TO cognomega_rv_alice;
SET ROLE cognomega_rv_alice;
SELECT x FROM cache_rv.inv;
SELECT cognomega.cached_query('SELECT x FROM cache_rv.inv');
SELECT cognomega.cached_query('SELECT x FROM cache_rv.inv');
-- but naming the base table needs it, as a plain query does
\set VERBOSITY sqlstate
SELECT x FROM cache_rv_hidden.base;
SELECT cognomega.cached_query('SELECT x FROM cache_rv_hidden.base');
\set VERBOSITY default
RESET ROLE;

SELECT dblink_disconnect('rv_exp');
SELECT dblink_disconnect('rv_imp');
SET client_min_messages = warning;
DROP SCHEMA cache_rv, cache_rv_pay, cache_rv_hidden CASCADE;
DROP OWNED BY cognomega_rv_alice, cognomega_rv_payroll;
DROP ROLE cognomega_rv_alice;
DROP ROLE cognomega_rv_payroll;
DROP EXTENSION dblink;
RESET client_min_messages;
