-- Holes a second adversarial review of the result cache found (after issues
-- 18 and 21), each failing before its fix.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;
\set VERBOSITY sqlstate

CREATE SCHEMA cache_rvc;
SET search_path = cache_rvc, public;
SELECT cognomega.cache_clear() >= 0 AS cleared;

-- 1. reg* and aclitem columns print names read from the catalogs when the
-- row is converted: a RENAME of the referenced table (which invalidates
-- only that table's entries), or a new table earlier in the search_path
-- (harmless DDL), changes the answer without touching the table read.
CREATE TABLE target (a int);
CREATE TABLE refs (r regclass, rs regclass[]);
INSERT INTO refs VALUES ('target', ARRAY['target'::regclass]);
SELECT cognomega.cached_query('SELECT r, rs FROM refs') AS before_rename;
ALTER TABLE target RENAME TO target2;
SELECT cognomega.cached_query('SELECT r, rs FROM refs') AS after_rename,
       (SELECT r FROM refs) AS plain;
CREATE SCHEMA cache_rvc_front;
SET search_path = cache_rvc_front, cache_rvc, public;
SELECT cognomega.cached_query('SELECT r FROM cache_rvc.refs') AS before_shadow;
CREATE TABLE cache_rvc_front.target2 (b int);
SELECT cognomega.cached_query('SELECT r FROM cache_rvc.refs') AS after_shadow,
       (SELECT r FROM cache_rvc.refs) AS plain;
SET search_path = cache_rvc, public;
-- a role name in a regrole column: DROP ROLE is harmless DDL
CREATE ROLE cache_rvc_gone;
CREATE TABLE roles (r regrole);
INSERT INTO roles VALUES ('cache_rvc_gone');
SELECT cognomega.cached_query('SELECT r::oid > 0 AS ok, r FROM roles') IS NOT NULL AS filled;
DROP ROLE cache_rvc_gone;
SELECT cognomega.cached_query('SELECT r::oid > 0 AS ok, r FROM roles')::jsonb
       = (SELECT jsonb_agg(to_jsonb(x)) FROM (SELECT r::oid > 0 AS ok, r FROM roles) x)
       AS same_as_plain;
-- what the key covers is still stored: date/time and money output
CREATE TABLE stamps (d date, t timestamptz, i interval, m money);
INSERT INTO stamps VALUES ('2026-01-02', '2026-01-02 03:04:05+00', '1 day', 1.5);
SELECT stores AS s0 FROM cognomega.cache_stats \gset
SELECT cognomega.cached_query('SELECT d, t, i, m FROM stamps') IS NOT NULL AS ran;
SELECT stores - :s0 AS stored FROM cognomega.cache_stats;

-- 2. DDL that changes nothing, or only the caller's temporary objects,
-- invalidates nothing (issue 21 item 3): a role without any privilege used
-- to wipe every query entry of the database with a GRANT that grants nothing
-- (a warning), ALTER DEFAULT PRIVILEGES, its own password, a cast,
-- collation, conversion or text search configuration on temporary objects,
-- a GRANT on its temporary function, or an empty prepared transaction.
CREATE ROLE cache_rvc_plain;
-- the session's temporary schema first: it is part of the search_path key
CREATE TEMP TABLE rvc_first_temp (a int);
CREATE TABLE vic (a int);
INSERT INTO vic VALUES (1), (2);
SELECT cognomega.cached_query('SELECT count(*) AS n FROM cache_rvc.vic') AS filled;
SELECT hits AS h0 FROM cognomega.cache_stats \gset
SET ROLE cache_rvc_plain;
GRANT ALL ON SCHEMA public TO PUBLIC;
GRANT USAGE ON LANGUAGE plpgsql TO cache_rvc_plain;
GRANT USAGE ON TYPE int4 TO PUBLIC;
GRANT EXECUTE ON FUNCTION lower(text) TO PUBLIC;
REVOKE EXECUTE ON FUNCTION lower(text) FROM PUBLIC;
ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC;
ALTER ROLE cache_rvc_plain PASSWORD 'not-used';
CREATE DOMAIN pg_temp.rvc_d AS int;
CREATE CAST (pg_temp.rvc_d AS text) WITH INOUT;
GRANT USAGE ON DOMAIN pg_temp.rvc_d TO PUBLIC;
CREATE COLLATION pg_temp.rvc_c (locale = 'C');
CREATE CONVERSION pg_temp.rvc_cv FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
CREATE TEXT SEARCH CONFIGURATION pg_temp.rvc_tc (COPY = simple);
CREATE FUNCTION pg_temp.rvc_f() RETURNS int LANGUAGE sql AS 'SELECT 1';
GRANT EXECUTE ON FUNCTION pg_temp.rvc_f() TO PUBLIC;
DROP CAST (pg_temp.rvc_d AS text);
DROP COLLATION pg_temp.rvc_c;
BEGIN;
PREPARE TRANSACTION 'cache_rvc_empty';
COMMIT PREPARED 'cache_rvc_empty';
BEGIN;
PREPARE TRANSACTION 'cache_rvc_empty2';
ROLLBACK PREPARED 'cache_rvc_empty2';
RESET ROLE;
SELECT cognomega.cached_query('SELECT count(*) AS n FROM cache_rvc.vic') AS still;
SELECT hits - :h0 AS served_from_cache FROM cognomega.cache_stats;
-- what changes something still invalidates
GRANT USAGE ON SCHEMA cache_rvc TO cache_rvc_plain;
SELECT hits AS h0 FROM cognomega.cache_stats \gset
SELECT cognomega.cached_query('SELECT count(*) AS n FROM cache_rvc.vic') AS after_grant;
SELECT hits - :h0 AS served_from_cache FROM cognomega.cache_stats;
-- a prepared write is seen after COMMIT PREPARED, also under a GID an empty
-- prepared transaction used before, and when a PREPARE under a GID in use fails
BEGIN;
PREPARE TRANSACTION 'cache_rvc_g';
ROLLBACK PREPARED 'cache_rvc_g';
BEGIN;
INSERT INTO vic VALUES (3);
PREPARE TRANSACTION 'cache_rvc_g';
SELECT cognomega.cached_query('SELECT count(*) AS n FROM cache_rvc.vic') AS before_commit;
COMMIT PREPARED 'cache_rvc_g';
SELECT cognomega.cached_query('SELECT count(*) AS n FROM cache_rvc.vic') AS after_commit;
BEGIN;
INSERT INTO vic VALUES (4);
PREPARE TRANSACTION 'cache_rvc_h';
BEGIN;
PREPARE TRANSACTION 'cache_rvc_h';
SELECT cognomega.cached_query('SELECT count(*) AS n FROM cache_rvc.vic') AS before_commit;
COMMIT PREPARED 'cache_rvc_h';
SELECT cognomega.cached_query('SELECT count(*) AS n FROM cache_rvc.vic') AS after_commit;

-- 3. a table's row type as another table's column type: what the column
-- prints follows ALTER TABLE of the first table, which invalidates only the
-- first table's entries; it is a dependency of the query now.
CREATE TABLE inner_t (a int);
CREATE TABLE outer_t (c inner_t, cs inner_t[]);
INSERT INTO outer_t VALUES (ROW(1), ARRAY[ROW(2)::inner_t]);
SELECT cognomega.cached_query('SELECT c, cs FROM outer_t') AS before_alter;
ALTER TABLE inner_t RENAME COLUMN a TO x;
SELECT cognomega.cached_query('SELECT c, cs FROM outer_t') AS after_rename;
ALTER TABLE inner_t ADD COLUMN b int;
SELECT cognomega.cached_query('SELECT c, cs FROM outer_t') AS after_add,
       (SELECT to_jsonb(o) FROM outer_t o) AS plain;
SELECT hits AS h0 FROM cognomega.cache_stats \gset
SELECT cognomega.cached_query('SELECT c, cs FROM outer_t') IS NOT NULL AS ran;
SELECT hits - :h0 AS served_from_cache FROM cognomega.cache_stats;

-- cleanup
RESET search_path;
DROP SCHEMA cache_rvc CASCADE;
DROP SCHEMA cache_rvc_front CASCADE;
DROP OWNED BY cache_rvc_plain;
DROP ROLE cache_rvc_plain;
