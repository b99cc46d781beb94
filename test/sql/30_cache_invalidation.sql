-- Result cache: every kind of write invalidates the entries that depend on
-- the written relation, at commit, however the write happens.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;

CREATE SCHEMA cache_inv;
SET search_path = cache_inv, public;
CREATE TABLE t (id int PRIMARY KEY, v text);
CREATE TABLE other (id int PRIMARY KEY);
CREATE TABLE log (id int);
INSERT INTO t VALUES (1, 'a');
INSERT INTO other VALUES (1);

-- fill: put with dependency t, then check it is there
CREATE FUNCTION fill() RETURNS bool LANGUAGE sql AS $$
    SELECT cognomega.cache_put('inv', '"v"', NULL, '{cache_inv.t}')
$$;
CREATE FUNCTION cached() RETURNS bool LANGUAGE sql AS $$
    SELECT cognomega.cache_get('inv') IS NOT NULL
$$;

SELECT fill(), cached();
-- a write to an unrelated table leaves it
INSERT INTO other VALUES (2);
SELECT cached() AS still_cached;
INSERT INTO t VALUES (2, 'b');
SELECT cached() AS after_insert;
SELECT fill(), cached();
UPDATE t SET v = 'c' WHERE id = 2;
SELECT cached() AS after_update;
SELECT fill(), cached();
DELETE FROM t WHERE id = 2;
SELECT cached() AS after_delete;
SELECT fill(), cached();
MERGE INTO t USING (VALUES (3, 'm')) s(id, v) ON t.id = s.id
    WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.v);
SELECT cached() AS after_merge;
SELECT fill(), cached();
COPY t FROM stdin;
4	copy
\.
SELECT cached() AS after_copy;
SELECT fill(), cached();
WITH w AS (INSERT INTO t VALUES (5, 'cte') RETURNING 1) SELECT count(*) FROM w;
SELECT cached() AS after_writable_cte;
SELECT fill(), cached();
INSERT INTO t VALUES (6, 'x') ON CONFLICT (id) DO UPDATE SET v = 'y';
SELECT cached() AS after_upsert;

-- a write inside a function
CREATE FUNCTION writer() RETURNS void LANGUAGE plpgsql AS $$
BEGIN UPDATE cache_inv.t SET v = v || '!' WHERE id = 1; END $$;
SELECT fill(), cached();
SELECT writer();
SELECT cached() AS after_function;

-- a trigger on another table writes t
CREATE FUNCTION trig() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO cache_inv.t VALUES (NEW.id + 100, 'trg'); RETURN NEW; END $$;
CREATE TRIGGER other_writes_t AFTER INSERT ON other FOR EACH ROW EXECUTE FUNCTION trig();
SELECT fill(), cached();
INSERT INTO other VALUES (3);
SELECT cached() AS after_trigger;

-- an FK cascade from another table deletes rows of t
CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (id int, pid int REFERENCES parent ON DELETE CASCADE);
INSERT INTO parent VALUES (1);
INSERT INTO child VALUES (1, 1);
SELECT cognomega.cache_put('inv:child', '1', NULL, '{cache_inv.child}');
DELETE FROM parent;
SELECT cognomega.cache_get('inv:child') IS NULL AS after_cascade;

-- TRUNCATE, also of another table with CASCADE
SELECT fill(), cached();
TRUNCATE t;
SELECT cached() AS after_truncate;
INSERT INTO parent VALUES (2);
INSERT INTO child VALUES (2, 2);
SELECT cognomega.cache_put('inv:child', '1', NULL, '{cache_inv.child}');
TRUNCATE parent CASCADE;
SELECT cognomega.cache_get('inv:child') IS NULL AS after_truncate_cascade;

-- DDL: ALTER TABLE, GRANT
SELECT fill(), cached();
ALTER TABLE t ADD COLUMN w int;
SELECT cached() AS after_alter;
SELECT fill(), cached();
GRANT SELECT ON t TO PUBLIC;
SELECT cached() AS after_grant;

-- rollback: the rolled back write changes nothing, but inside the writing
-- transaction the entry is neither read nor stored
SELECT fill(), cached();
BEGIN;
INSERT INTO t VALUES (7, 'rb');
SELECT cached() AS own_write_hides_entry;
SELECT fill() AS own_write_refuses_put;
ROLLBACK;
SELECT cached() AS after_rollback;
-- a savepoint rolled back still counts as written until the end
BEGIN;
SAVEPOINT s;
INSERT INTO t VALUES (8, 'sp');
ROLLBACK TO SAVEPOINT s;
SELECT cached() AS after_rollback_to_savepoint;
COMMIT;
-- commit of a read-only transaction invalidates nothing
SELECT fill(), cached();
BEGIN;
SELECT count(*) >= 0 FROM t;
COMMIT;
SELECT cached() AS after_read_only;

-- partitions: a write to a partition invalidates entries on the parent,
-- and a write through the parent entries on a partition
CREATE TABLE m (at date, v int) PARTITION BY RANGE (at);
CREATE TABLE m_2026 PARTITION OF m FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')
    PARTITION BY RANGE (at);
CREATE TABLE m_2026_h1 PARTITION OF m_2026 FOR VALUES FROM ('2026-01-01') TO ('2026-07-01');
CREATE TABLE m_2026_h2 PARTITION OF m_2026 FOR VALUES FROM ('2026-07-01') TO ('2027-01-01');
SELECT cognomega.cache_put('inv:m', '1', NULL, '{cache_inv.m}');
SELECT cognomega.cache_put('inv:h2', '1', NULL, '{cache_inv.m_2026_h2}');
INSERT INTO m_2026_h1 VALUES ('2026-02-01', 1);
SELECT cognomega.cache_get('inv:m') IS NULL AS parent_after_leaf_write,
       cognomega.cache_get('inv:h2') IS NULL AS sibling_after_leaf_write;
SELECT cognomega.cache_put('inv:h2', '1', NULL, '{cache_inv.m_2026_h2}');
UPDATE m SET v = 2;
SELECT cognomega.cache_get('inv:h2') IS NULL AS leaf_after_parent_write;
SELECT cognomega.cache_put('inv:m', '1', NULL, '{cache_inv.m}');
SELECT cognomega.cache_invalidate_relation('cache_inv.m_2026_h1');
SELECT cognomega.cache_get('inv:m') IS NULL AS invalidate_relation_reaches_root;

-- legacy inheritance: a write to a child invalidates entries on the parent
CREATE TABLE base (id int);
CREATE TABLE base_child () INHERITS (base);
SELECT cognomega.cache_put('inv:base', '1', NULL, '{cache_inv.base}');
INSERT INTO base_child VALUES (1);
SELECT cognomega.cache_get('inv:base') IS NULL AS parent_after_child_write;
SELECT cognomega.cache_put('inv:base', '1', NULL, '{cache_inv.base}');
CREATE TABLE base_child2 () INHERITS (base);
SELECT cognomega.cache_get('inv:base') IS NULL AS parent_after_new_child;
SELECT cognomega.cache_put('inv:base', '1', NULL, '{cache_inv.base}');
INSERT INTO base_child2 VALUES (2);
SELECT cognomega.cache_get('inv:base') IS NULL AS parent_after_new_child_write;
-- a temporary child makes the parent unfit to back a shared entry
CREATE TEMP TABLE base_tmp () INHERITS (cache_inv.base);
SELECT cognomega.cache_put('inv:base', '1', NULL, '{cache_inv.base}') AS stored_with_temp_child;
DROP TABLE base_tmp;

-- entries without dependencies are not touched by writes or DDL
SELECT cognomega.cache_put('inv:free', '1');
INSERT INTO t VALUES (9, 'z');
ALTER TABLE t DROP COLUMN w;
SELECT cognomega.cache_get('inv:free') AS free_entry_survives;

-- values depending on a table with row-level security, a temporary table
-- or a catalog are not stored
CREATE TABLE secret (id int);
ALTER TABLE secret ENABLE ROW LEVEL SECURITY;
SELECT cognomega.cache_put('inv:rls', '1', NULL, '{cache_inv.secret}') AS rls_stored;
CREATE TEMP TABLE tmp (id int);
SELECT cognomega.cache_put('inv:tmp', '1', NULL, ARRAY['tmp'::regclass]) AS temp_stored;
SELECT cognomega.cache_put('inv:cat', '1', NULL, '{pg_class}') AS catalog_stored;

-- a view is not a dependency (writes reach its base tables): refused
CREATE VIEW tv AS SELECT * FROM t;
SELECT cognomega.cache_put('inv:view', '1', NULL, '{cache_inv.tv}') AS view_stored;
\echo :LAST_ERROR_SQLSTATE

-- REPEATABLE READ is served what its snapshot may see; SERIALIZABLE is not
-- served dependent entries (SSI must see the reads), free ones it is
SELECT fill(), cognomega.cache_put('inv:free', '2');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT cached() AS rr_served;
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT cached() AS serializable_served, cognomega.cache_get('inv:free') AS free;
COMMIT;

-- a role that lost SELECT gets the permission error, not the value
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
CREATE ROLE cognomega_cache_inv;
CREATE ROLE cognomega_cache_readers;
GRANT USAGE ON SCHEMA cache_inv TO cognomega_cache_inv;
GRANT SELECT ON other TO cognomega_cache_readers;
GRANT cognomega_cache_readers TO cognomega_cache_inv;
SET ROLE cognomega_cache_inv;
SELECT cognomega.cache_put('inv:priv', '1', NULL, '{cache_inv.other}');
SELECT cognomega.cache_get('inv:priv');
RESET ROLE;
-- losing membership is DDL (since 0.3) in this database only: revoked from
-- another one, the entry stays valid, and the privilege check on the hit
-- refuses it
SELECT dblink_exec(format('dbname=postgres user=%s port=%s host=%s', current_user,
                          current_setting('port'),
                          split_part(current_setting('unix_socket_directories'), ',', 1)),
                   'REVOKE cognomega_cache_readers FROM cognomega_cache_inv');
SET ROLE cognomega_cache_inv;
SELECT cognomega.cache_get('inv:priv');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- a REVOKE on the table invalidates as DDL as well
GRANT SELECT ON other TO cognomega_cache_inv;
SET ROLE cognomega_cache_inv;
SELECT cognomega.cache_put('inv:priv', '2', NULL, '{cache_inv.other}');
RESET ROLE;
REVOKE SELECT ON other FROM cognomega_cache_inv;
SET ROLE cognomega_cache_inv;
SELECT cognomega.cache_get('inv:priv') IS NULL AS after_revoke;
RESET ROLE;
DROP EXTENSION dblink;

RESET search_path;
DROP SCHEMA cache_inv CASCADE;
DROP OWNED BY cognomega_cache_inv;
DROP ROLE cognomega_cache_inv;
DROP ROLE cognomega_cache_readers;
