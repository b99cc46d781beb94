-- Result cache: edge cases found in review.  Each section failed before
-- its fix.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;

CREATE SCHEMA cache_edge;
SET search_path = cache_edge, public;

-- TRUNCATE of a plain inheritance parent empties its children too: entries
-- on a child are invalidated (ONLY leaves the children alone)
CREATE TABLE ip (x int);
CREATE TABLE ic () INHERITS (ip);
INSERT INTO ic VALUES (1);
SELECT cognomega.cache_put('edge:ic', '1', NULL, '{ic}');
TRUNCATE ONLY ip;
SELECT cognomega.cache_get('edge:ic') AS kept_after_truncate_only;
TRUNCATE ip;
SELECT cognomega.cache_get('edge:ic') AS after_truncate_parent;

-- depends_on: only relations that hold rows.  Nothing would invalidate an
-- index's entries (writes are recorded against its table): refused, like a
-- sequence, a composite type and a view; a number that is no relation's OID
-- is an error too
CREATE TABLE ti (x int PRIMARY KEY);
CREATE SEQUENCE sq;
CREATE TYPE ct AS (a int);
SELECT cognomega.cache_put('edge:idx', '1', NULL, '{ti_pkey}');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cache_put('edge:seq', '1', NULL, '{sq}');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cache_put('edge:type', '1', NULL, '{ct}');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cache_put('edge:none', '1', NULL, '{4000000000}');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cache_put('edge:mv', '1', NULL, '{pg_stat_user_tables}');
\echo :LAST_ERROR_SQLSTATE
CREATE MATERIALIZED VIEW mv AS SELECT x FROM ti;
SELECT cognomega.cache_put('edge:mv', '1', NULL, '{mv}') AS matview_stored;
REFRESH MATERIALIZED VIEW mv;
SELECT cognomega.cache_get('edge:mv') AS after_refresh;

-- a ttl too long for int64 microseconds saturates instead of wrapping round
-- (it was reported as negative); a hugely negative one is still an error
SELECT cognomega.cache_put('edge:long', '1', '100000000 years') AS stored,
       cognomega.cache_get('edge:long') AS got;
SELECT cognomega.cache_put('edge:long', '1', '-100000000 years');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cache_put('edge:mixed', '1', '-1 day 25 hours') AS mixed_signs_positive;

-- cached_query: the search_path resolves functions too, not only relations:
-- same text, same table, another schema's immutable f() is another answer
CREATE SCHEMA cache_edge_a;
CREATE SCHEMA cache_edge_b;
CREATE FUNCTION cache_edge_a.f(int) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT $1';
CREATE FUNCTION cache_edge_b.f(int) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT $1 * 2';
CREATE TABLE cache_edge.tf (x int);
INSERT INTO cache_edge.tf VALUES (5);
SET search_path = cache_edge_a, cache_edge;
SELECT cognomega.cached_query('SELECT f(x) AS v FROM tf') AS under_a;
SET search_path = cache_edge_b, cache_edge;
SELECT cognomega.cached_query('SELECT f(x) AS v FROM tf') AS under_b;
SET search_path = cache_edge_a, cache_edge;
SELECT cognomega.cached_query('SELECT f(x) AS v FROM tf') AS under_a_again;
SET search_path = cache_edge, public;

-- a query reading no relation still depends on the functions it calls:
-- redefining one (DDL bumps the epoch) is seen at once
CREATE FUNCTION g() RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT 1';
SELECT cognomega.cached_query('SELECT cache_edge.g() AS v') AS first;
SELECT cognomega.cached_query('SELECT cache_edge.g() AS v') AS cached;
CREATE OR REPLACE FUNCTION g() RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT 2';
SELECT cognomega.cached_query('SELECT cache_edge.g() AS v') AS after_redefinition;

-- cached_query: transaction control is refused (0A000, as in PL/pgSQL's
-- EXECUTE), not reported as a bad parameter; a utility statement that may
-- not run in a function keeps PostgreSQL's own error
SELECT cognomega.cached_query('COMMIT');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cached_query('VACUUM cache_edge.ti');
\echo :LAST_ERROR_SQLSTATE
-- a NULL ttl is the default, NULL query gives NULL
SELECT cognomega.cached_query('SELECT 1 AS one', NULL) AS default_ttl,
       cognomega.cached_query(NULL, NULL) IS NULL AS null_query;
-- duplicate column names: one key per object, the last column wins (as
-- to_jsonb(row) does); empty result is []
SELECT cognomega.cached_query('SELECT 1 AS a, 2 AS a') AS duplicate_names,
       cognomega.cached_query('SELECT 1 AS a WHERE false') AS no_rows;

-- a cached_query whose query calls cached_query with more new texts than
-- the per-backend plan table holds: the table is not flushed under the
-- running outer plan (that freed it while SPI still walked it)
SELECT cognomega.cached_query(
    'SELECT count(cognomega.cached_query(''SELECT '' || g || '' AS v'')) AS n
     FROM generate_series(1, 600) g') AS nested;
SELECT cognomega.cached_query('SELECT 601 AS v') AS afterwards;

-- cache_max_entry_size is compared with the value's size as jsonb, which is
-- what pg_column_size() reports: exactly that size fits, a byte less does not
SELECT pg_column_size(to_jsonb(repeat('s', 1000))) AS value_size \gset
SELECT set_config('cognomega.cache_max_entry_size', :'value_size', false) IS NOT NULL AS set;
SELECT cognomega.cache_put('edge:exact', to_jsonb(repeat('s', 1000))) AS exact_fits;
SELECT set_config('cognomega.cache_max_entry_size', (:value_size - 1)::text, false) IS NOT NULL AS set;
SELECT cognomega.cache_put('edge:exact', to_jsonb(repeat('s', 1000))) AS byte_over;
RESET cognomega.cache_max_entry_size;

-- TABLESAMPLE draws another sample on every run: run, never stored
CREATE TABLE sampled AS SELECT g FROM generate_series(1, 1000) g;
SELECT cognomega.cache_reset_stats();
SELECT json_typeof(cognomega.cached_query('SELECT count(*) AS n FROM cache_edge.sampled TABLESAMPLE BERNOULLI (50)')) AS ran,
       json_typeof(cognomega.cached_query('SELECT count(*) AS n FROM (SELECT g FROM cache_edge.sampled TABLESAMPLE SYSTEM (50)) s')) AS in_subquery;
SELECT stores, hits FROM cognomega.cache_stats;

-- keys: the current role inside a SECURITY DEFINER function is its owner,
-- SET SESSION AUTHORIZATION counts like SET ROLE, and another database
-- with the same key text is another key
CREATE ROLE cognomega_edge_owner;
CREATE ROLE cognomega_edge_user;
SET ROLE cognomega_edge_owner;
SELECT cognomega.cache_put('edge:who', '"owner"') AS owner_put;
RESET ROLE;
CREATE FUNCTION cache_edge.owner_get() RETURNS jsonb SECURITY DEFINER
    SET search_path = pg_catalog LANGUAGE sql AS $$ SELECT cognomega.cache_get('edge:who') $$;
ALTER FUNCTION cache_edge.owner_get() OWNER TO cognomega_edge_owner;
GRANT USAGE ON SCHEMA cache_edge TO cognomega_edge_user;
SET SESSION AUTHORIZATION cognomega_edge_user;
SELECT cognomega.cache_get('edge:who') AS user_gets,
       cache_edge.owner_get() AS through_definer;
RESET SESSION AUTHORIZATION;
SELECT cognomega.cache_put('edge:db', '"here"') AS put_here;
CREATE DATABASE cognomega_edge_other;
\c cognomega_edge_other
SET client_min_messages = warning;
CREATE EXTENSION cognomega;
RESET client_min_messages;
SELECT cognomega.cache_get('edge:db') AS other_db_gets;
\c cognomega_regress
DROP DATABASE cognomega_edge_other;
SELECT cognomega.cache_get('edge:db') AS this_db_gets;
SET search_path = cache_edge, public;
DROP FUNCTION cache_edge.owner_get();
REVOKE USAGE ON SCHEMA cache_edge FROM cognomega_edge_user;
DROP ROLE cognomega_edge_owner;
DROP ROLE cognomega_edge_user;

-- row-level security enabled after entries were stored: they are not served
-- any more (ALTER TABLE is DDL), and the new answer is not stored
CREATE TABLE tenant_rows (tenant text, v int);
INSERT INTO tenant_rows VALUES ('a', 1), ('b', 2);
CREATE ROLE cognomega_edge_tenant;
GRANT USAGE ON SCHEMA cache_edge TO cognomega_edge_tenant;
GRANT SELECT ON tenant_rows TO cognomega_edge_tenant;
SET ROLE cognomega_edge_tenant;
SELECT cognomega.cached_query('SELECT sum(v) AS s FROM cache_edge.tenant_rows') AS before_rls,
       cognomega.cache_put('edge:tenant', '3', NULL, '{cache_edge.tenant_rows}') AS put;
RESET ROLE;
ALTER TABLE tenant_rows ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_tenant ON tenant_rows USING (tenant = current_setting('app.tenant', true));
SET ROLE cognomega_edge_tenant;
SET app.tenant = 'a';
SELECT cognomega.cached_query('SELECT sum(v) AS s FROM cache_edge.tenant_rows') AS tenant_a,
       cognomega.cache_get('edge:tenant') AS stale_put;
SET app.tenant = 'b';
SELECT cognomega.cached_query('SELECT sum(v) AS s FROM cache_edge.tenant_rows') AS tenant_b;
RESET app.tenant;
RESET ROLE;
DROP TABLE tenant_rows;
REVOKE USAGE ON SCHEMA cache_edge FROM cognomega_edge_tenant;
DROP ROLE cognomega_edge_tenant;

-- a cached_query result larger than cache_max_entry_size is returned in
-- full but not stored
SET cognomega.cache_max_entry_size = '1kB';
SELECT cognomega.cache_reset_stats();
SELECT json_array_length(cognomega.cached_query('SELECT g FROM generate_series(1, 500) g')) AS rows_returned;
SELECT json_array_length(cognomega.cached_query('SELECT g FROM generate_series(1, 500) g')) AS rows_again;
SELECT stores, hits FROM cognomega.cache_stats;
RESET cognomega.cache_max_entry_size;

-- column privileges: a role that may read only column v is served a query
-- on v; once that column's SELECT is revoked it gets 42501, not the entry
CREATE TABLE colpriv (v int, secret int);
INSERT INTO colpriv VALUES (1, 42);
CREATE ROLE cognomega_edge_col;
GRANT USAGE ON SCHEMA cache_edge TO cognomega_edge_col;
GRANT SELECT (v) ON colpriv TO cognomega_edge_col;
SET ROLE cognomega_edge_col;
SELECT cognomega.cached_query('SELECT v FROM cache_edge.colpriv') AS column_v;
SELECT cognomega.cached_query('SELECT v FROM cache_edge.colpriv') AS column_v_again;
SELECT cognomega.cached_query('SELECT secret FROM cache_edge.colpriv');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE SELECT (v) ON colpriv FROM cognomega_edge_col;
SET ROLE cognomega_edge_col;
SELECT cognomega.cached_query('SELECT v FROM cache_edge.colpriv');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP TABLE colpriv;
REVOKE USAGE ON SCHEMA cache_edge FROM cognomega_edge_col;
DROP ROLE cognomega_edge_col;

-- a function created earlier in the search_path shadows the one a kept
-- plan resolved (the plan cache does not notice; a plain query would)
CREATE SCHEMA cache_edge_c;
SET search_path = cache_edge_c, cache_edge_b, cache_edge;
SELECT cognomega.cached_query('SELECT f(x) AS v FROM tf') AS b_f;
CREATE FUNCTION cache_edge_c.f(int) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT $1 * 3';
SELECT cognomega.cached_query('SELECT f(x) AS v FROM tf') AS c_f_shadows;
SELECT f(x) AS plain_query FROM tf;
SET search_path = cache_edge, public;

-- more write paths, each checked after its commit: a procedure that commits
-- between writes, EXECUTE in PL/pgSQL, an updatable view, an INSTEAD OF
-- trigger, a rule, PREPARE/EXECUTE, FK ON UPDATE SET NULL, ATTACH and
-- DETACH PARTITION, DROP and re-create under the same name
CREATE TABLE w (id int PRIMARY KEY, x int);
INSERT INTO w VALUES (1, 1), (2, 2);
CREATE FUNCTION wq() RETURNS jsonb LANGUAGE sql AS
    $$ SELECT cognomega.cached_query('SELECT sum(x) AS s FROM cache_edge.w') $$;
CREATE PROCEDURE w_proc() LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cache_edge.w SET x = x + 1 WHERE id = 1;
    COMMIT;
    UPDATE cache_edge.w SET x = x + 1 WHERE id = 2;
    COMMIT;
END $$;
CREATE FUNCTION w_dyn() RETURNS void LANGUAGE plpgsql AS
    $$ BEGIN EXECUTE 'UPDATE cache_edge.w SET x = x + 10 WHERE id = 1'; END $$;
CREATE VIEW w_view AS SELECT * FROM w;
CREATE TABLE w_inbox (id int, x int);
CREATE VIEW w_inbox_view AS SELECT * FROM w_inbox;
CREATE FUNCTION w_forward() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN INSERT INTO cache_edge.w VALUES (NEW.id, NEW.x); RETURN NEW; END $$;
CREATE TRIGGER w_forward INSTEAD OF INSERT ON w_inbox_view
    FOR EACH ROW EXECUTE FUNCTION w_forward();
CREATE TABLE w_audit (id int);
CREATE RULE w_audit_bumps AS ON INSERT TO w_audit DO ALSO
    UPDATE cache_edge.w SET x = x + 100 WHERE id = 1;
SELECT wq() AS filled;
CALL w_proc();
SELECT wq() AS after_procedure;
SELECT w_dyn();
SELECT wq() AS after_dynamic_execute;
UPDATE w_view SET x = x + 1 WHERE id = 2;
SELECT wq() AS after_updatable_view;
INSERT INTO w_inbox_view VALUES (3, 1000);
SELECT wq() AS after_instead_of_trigger;
INSERT INTO w_audit VALUES (1);
SELECT wq() AS after_rule;
PREPARE w_upd AS UPDATE cache_edge.w SET x = x + 1 WHERE id = 3;
EXECUTE w_upd;
SELECT wq() AS after_execute;
DEALLOCATE w_upd;
-- FK ON UPDATE SET NULL
CREATE TABLE fk_parent (id int PRIMARY KEY);
CREATE TABLE fk_child (id int, pid int REFERENCES fk_parent ON UPDATE SET NULL);
INSERT INTO fk_parent VALUES (1);
INSERT INTO fk_child VALUES (1, 1);
SELECT cognomega.cached_query('SELECT count(pid) AS n FROM cache_edge.fk_child') AS fk_filled;
UPDATE fk_parent SET id = 2;
SELECT cognomega.cached_query('SELECT count(pid) AS n FROM cache_edge.fk_child') AS after_set_null;
-- ATTACH and DETACH PARTITION change what the parent returns
CREATE TABLE pt (at int, v int) PARTITION BY RANGE (at);
CREATE TABLE pt_1 PARTITION OF pt FOR VALUES FROM (0) TO (10);
INSERT INTO pt VALUES (1, 1);
CREATE TABLE pt_2 (at int, v int);
INSERT INTO pt_2 VALUES (15, 2);
SELECT cognomega.cached_query('SELECT sum(v) AS s FROM cache_edge.pt') AS pt_filled,
       cognomega.cache_put('edge:pt', '1', NULL, '{pt}') AS put;
ALTER TABLE pt ATTACH PARTITION pt_2 FOR VALUES FROM (10) TO (20);
SELECT cognomega.cached_query('SELECT sum(v) AS s FROM cache_edge.pt') AS after_attach,
       cognomega.cache_get('edge:pt') AS put_after_attach;
ALTER TABLE pt DETACH PARTITION pt_2;
SELECT cognomega.cached_query('SELECT sum(v) AS s FROM cache_edge.pt') AS after_detach;
-- DROP and re-create under the same name: the old entry is not served
SELECT cognomega.cache_put('edge:w', '"old w"', NULL, '{w}') AS put_old;
DROP TABLE w CASCADE;
CREATE TABLE w (id int PRIMARY KEY, x int);
INSERT INTO w VALUES (1, -1);
SELECT cognomega.cache_get('edge:w') AS old_entry,
       cognomega.cached_query('SELECT sum(x) AS s FROM cache_edge.w') AS new_table;
