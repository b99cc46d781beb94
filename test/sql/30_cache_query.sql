-- cached_query: results as json, served from the cache when valid; what is
-- and is not cached; keys by search_path, role and output settings; errors.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;

CREATE SCHEMA cache_q1;
CREATE SCHEMA cache_q2;
CREATE TABLE cache_q1.t (id int, v text);
CREATE TABLE cache_q2.t (id int, v text);
INSERT INTO cache_q1.t VALUES (1, 'one'), (2, 'two');
INSERT INTO cache_q2.t VALUES (1, 'uno');
CREATE VIEW cache_q1.counts AS
    SELECT s.stores, s.hits FROM cognomega.cache_stats s;
SELECT cognomega.cache_clear() >= 0 AS cleared;
SELECT cognomega.cache_reset_stats();

-- miss, then hit; rows in order, as objects
SELECT cognomega.cached_query('SELECT id, v FROM cache_q1.t ORDER BY id');
SELECT cognomega.cached_query('SELECT id, v FROM cache_q1.t ORDER BY id');
SELECT * FROM cache_q1.counts;
SELECT cognomega.cached_query('SELECT id FROM cache_q1.t WHERE false');
-- a committed write is seen at once
INSERT INTO cache_q1.t VALUES (3, 'three');
SELECT cognomega.cached_query('SELECT id, v FROM cache_q1.t ORDER BY id');
SELECT * FROM cache_q1.counts;

-- the same text under another search_path is another query
SET search_path = cache_q1;
SELECT cognomega.cached_query('SELECT v FROM t ORDER BY id');
SET search_path = cache_q2;
SELECT cognomega.cached_query('SELECT v FROM t ORDER BY id');
SET search_path = cache_q1;
SELECT cognomega.cached_query('SELECT v FROM t ORDER BY id');
RESET search_path;

-- run, not cached: volatile and stable functions, writes, FOR UPDATE,
-- temporary tables, row-level security, catalogs
SELECT cognomega.cache_reset_stats();
SELECT cognomega.cached_query('SELECT random() < 2 AS r');
SELECT cognomega.cached_query('SELECT count(*) AS n FROM cache_q1.t WHERE now() > ''2000-01-01''');
SELECT cognomega.cached_query('INSERT INTO cache_q1.t VALUES (4, ''four'') RETURNING id');
SELECT cognomega.cached_query('INSERT INTO cache_q1.t VALUES (4, ''four'') RETURNING id');
SELECT cognomega.cached_query('UPDATE cache_q1.t SET v = v WHERE id = 0');
SELECT cognomega.cached_query('WITH d AS (DELETE FROM cache_q1.t WHERE id = 4 RETURNING id) SELECT count(*) AS n FROM d');
SELECT cognomega.cached_query('SELECT id FROM cache_q1.t WHERE id = 1 FOR UPDATE');
CREATE TEMP TABLE tmp AS SELECT 1 AS id;
SELECT cognomega.cached_query('SELECT id FROM tmp');
CREATE TABLE cache_q1.secret (id int);
ALTER TABLE cache_q1.secret ENABLE ROW LEVEL SECURITY;
SELECT cognomega.cached_query('SELECT count(*) AS n FROM cache_q1.secret');
SELECT cognomega.cached_query('SELECT count(*) > 0 AS n FROM pg_catalog.pg_class WHERE relname = ''t''');
SELECT stores, hits FROM cache_q1.counts;

-- cache_enabled = off: runs, neither served nor stored
SET cognomega.cache_enabled = off;
SELECT cognomega.cached_query('SELECT id FROM cache_q1.t WHERE id = 1');
SELECT cognomega.cached_query('SELECT id FROM cache_q1.t WHERE id = 1');
SELECT stores, hits FROM cache_q1.counts;
RESET cognomega.cache_enabled;

-- output settings are part of the key
CREATE TABLE cache_q1.ts (at timestamptz);
INSERT INTO cache_q1.ts VALUES ('2026-01-01 12:00:00+00');
SET TimeZone = 'UTC';
SELECT cognomega.cached_query('SELECT at FROM cache_q1.ts');
SET TimeZone = 'Asia/Tokyo';
SELECT cognomega.cached_query('SELECT at FROM cache_q1.ts');
RESET TimeZone;
-- lc_monetary too (money prints by it): a new setting stores a new entry
CREATE TABLE cache_q1.m (amount money);
INSERT INTO cache_q1.m VALUES (12.5);
SET lc_monetary = 'C';
SELECT cognomega.cached_query('SELECT amount FROM cache_q1.m');
SELECT stores, hits FROM cache_q1.counts;
SELECT cognomega.cached_query('SELECT amount FROM cache_q1.m');
SELECT stores, hits FROM cache_q1.counts;
SET lc_monetary = 'C.UTF-8';
SELECT cognomega.cached_query('SELECT amount FROM cache_q1.m');
SELECT stores, hits FROM cache_q1.counts;
RESET lc_monetary;

-- roles: each role its own entry; privileges checked on every call
CREATE ROLE cognomega_cq_r;
CREATE ROLE cognomega_cq_readers;
GRANT USAGE ON SCHEMA cache_q1 TO cognomega_cq_r;
GRANT SELECT ON cache_q1.t TO cognomega_cq_readers;
GRANT cognomega_cq_readers TO cognomega_cq_r;
CREATE VIEW cache_q1.v1 AS SELECT id FROM cache_q1.t WHERE id = 1;
GRANT SELECT ON cache_q1.v1 TO cognomega_cq_r;
SELECT cognomega.cache_reset_stats();
SET ROLE cognomega_cq_r;
SELECT cognomega.cached_query('SELECT id FROM cache_q1.t WHERE id = 2');
SELECT cognomega.cached_query('SELECT id FROM cache_q1.t WHERE id = 2');
SELECT cognomega.cached_query('SELECT id FROM cache_q1.v1');
SELECT cognomega.cached_query('SELECT id FROM cache_q1.v1');
RESET ROLE;
SELECT stores, hits FROM cache_q1.counts;
REVOKE cognomega_cq_readers FROM cognomega_cq_r;
SET ROLE cognomega_cq_r;
SELECT cognomega.cached_query('SELECT id FROM cache_q1.t WHERE id = 2');
\echo :LAST_ERROR_SQLSTATE
-- through the view (the owner's privileges) it still works
SELECT cognomega.cached_query('SELECT id FROM cache_q1.v1');
RESET ROLE;

-- errors
SELECT cognomega.cached_query(NULL) IS NULL AS null_query_gives_null;
SELECT cognomega.cached_query('SELECT 1; SELECT 2');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cached_query('');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cached_query('SELEC 1');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cached_query('SELECT * FROM cache_q1.no_such_table');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cached_query('SELECT 1 AS one', '-1 hour');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cached_query('SELECT 1/0 AS x');
\echo :LAST_ERROR_SQLSTATE
-- the plan cache follows DDL: a dropped column is not served
SELECT cognomega.cached_query('SELECT * FROM cache_q2.t');
ALTER TABLE cache_q2.t DROP COLUMN v;
SELECT cognomega.cached_query('SELECT * FROM cache_q2.t');

DROP SCHEMA cache_q1 CASCADE;
DROP SCHEMA cache_q2 CASCADE;
DROP OWNED BY cognomega_cq_r;
DROP ROLE cognomega_cq_r;
DROP ROLE cognomega_cq_readers;
