-- Fairness and privileges of the shared cache (issue 21): DDL that changes
-- nothing, or only the caller's temporary objects, invalidates nothing;
-- other DDL invalidates what depends on what it changed; cache_put needs
-- SELECT on its dependencies; a role's share of the cache is bounded.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;
\set VERBOSITY sqlstate

CREATE SCHEMA cache_fair;
SET search_path = cache_fair, public;
CREATE TABLE t (id int PRIMARY KEY, v text);
CREATE TABLE u (id int PRIMARY KEY);
INSERT INTO t VALUES (1, 'a');
CREATE FUNCTION f(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + 1';
-- the session's temporary schema exists from here on (it is part of the
-- search_path a cached_query key records)
CREATE TEMP TABLE warm (id int);
SELECT cognomega.cache_clear() >= 0 AS cleared;

CREATE FUNCTION fill() RETURNS text LANGUAGE sql AS $$
    SELECT concat_ws(',',
        cognomega.cache_put('t', '"t"', NULL, '{cache_fair.t}'),
        cognomega.cache_put('u', '"u"', NULL, '{cache_fair.u}'),
        cognomega.cached_query('SELECT v FROM cache_fair.t') IS NOT NULL)
$$;
-- which entries are still served (cached_query: a hit adds to hits)
CREATE FUNCTION served() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    h0 bigint;
    q boolean;
BEGIN
    SELECT hits INTO h0 FROM cognomega.cache_stats;
    PERFORM cognomega.cached_query('SELECT v FROM cache_fair.t');
    SELECT hits > h0 INTO q FROM cognomega.cache_stats;
    RETURN concat_ws(',',
        cognomega.cache_get('t') IS NOT NULL,
        cognomega.cache_get('u') IS NOT NULL,
        q);
END
$$;

-- DDL that changes nothing invalidates nothing
SELECT fill(), served();
DROP TABLE IF EXISTS no_such_table;
DROP FUNCTION IF EXISTS no_such_function(int);
DROP VIEW IF EXISTS no_such_view;
DROP TYPE IF EXISTS no_such_type;
DROP INDEX IF EXISTS no_such_index;
DROP SCHEMA IF EXISTS no_such_schema CASCADE;
ALTER TABLE IF EXISTS no_such_table ADD COLUMN c int;
CREATE TABLE IF NOT EXISTS t (id int);
SELECT served() AS after_noop_ddl;

-- nor does DDL on the caller's temporary objects
SELECT fill();
CREATE TEMP TABLE tmp (id int DEFAULT 1 CHECK (id > 0), w text);
CREATE INDEX ON tmp (id);
ALTER TABLE tmp ADD COLUMN x int;
ALTER TABLE tmp RENAME COLUMN x TO y;
CREATE TEMP VIEW tmpv AS SELECT * FROM tmp;
DROP VIEW tmpv;
DROP TABLE tmp;
CREATE FUNCTION pg_temp.tf() RETURNS int LANGUAGE sql AS 'SELECT 1';
DROP FUNCTION pg_temp.tf();
SELECT served() AS after_temp_ddl;

-- DDL on a relation invalidates that relation's entries (and the queries
-- over it), not the others
ALTER TABLE u ADD COLUMN w int;
SELECT served() AS after_alter_u;
SELECT fill();
ALTER TABLE t ADD COLUMN w int;
SELECT served() AS after_alter_t;
SELECT fill();
ALTER TABLE t DROP COLUMN w;
SELECT served() AS after_drop_column_t;
SELECT fill();
CREATE VIEW tv AS SELECT v FROM t;
SELECT served() AS after_create_view;
DROP VIEW tv;
SELECT served() AS after_drop_view;
-- a dropped and re-created dependency never serves its old entries
SELECT fill();
DROP TABLE u;
CREATE TABLE u (id int PRIMARY KEY);
SELECT served() AS after_drop_u;
-- where the dependents cannot be known (a function), the whole database
SELECT fill();
CREATE OR REPLACE FUNCTION f(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + 2';
SELECT served() AS after_replace_function;
SELECT fill();
DROP FUNCTION f(int);
SELECT served() AS after_drop_function;

-- cache_put needs SELECT on every dependency (a write oracle otherwise)
CREATE ROLE cognomega_fair_r1;
CREATE ROLE cognomega_fair_r2;
GRANT USAGE ON SCHEMA cache_fair TO cognomega_fair_r1, cognomega_fair_r2;
GRANT SELECT ON t TO cognomega_fair_r1;
GRANT SELECT (id) ON u TO cognomega_fair_r1;
SET ROLE cognomega_fair_r1;
SELECT cognomega.cache_put('mine', '1', NULL, '{cache_fair.t}') AS put_readable;
SELECT cognomega.cache_put('col', '1', NULL, '{cache_fair.u}') AS put_column_privilege;
RESET ROLE;
SET ROLE cognomega_fair_r2;
SELECT cognomega.cache_put('oracle', '1', NULL, '{cache_fair.t}');
SELECT cognomega.cache_put('oracle', '1', NULL, ARRAY['cache_fair.u'::regclass]);
SELECT cognomega.cache_put('oracle', '1') AS put_no_deps;
RESET ROLE;

-- the review's attack: a role without privileges cannot empty the others'
-- entries with DDL that changes nothing, or its own temporary tables
SELECT fill();
SET ROLE cognomega_fair_r2;
DROP TABLE IF EXISTS no_such_table;
DROP FUNCTION IF EXISTS no_such_function();
CREATE TEMP TABLE mine (id int);
DROP TABLE mine;
RESET ROLE;
SELECT served() AS after_unprivileged_ddl;

DROP SCHEMA cache_fair CASCADE;
DROP OWNED BY cognomega_fair_r1, cognomega_fair_r2;
DROP ROLE cognomega_fair_r1;
DROP ROLE cognomega_fair_r2;
