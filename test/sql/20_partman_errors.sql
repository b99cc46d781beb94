-- Every bad input of docs/partman.md gets its error and SQLSTATE.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;
CREATE SCHEMA pm_err;
SET search_path = pm_err;

CREATE TABLE plain (created_at timestamptz);
CREATE TABLE by_list (created_at timestamptz, region text) PARTITION BY LIST (region);
CREATE TABLE by_hash (id int, created_at timestamptz) PARTITION BY HASH (id);
CREATE TABLE two_cols (a timestamptz, b timestamptz) PARTITION BY RANGE (a, b);
CREATE TABLE by_expr (a timestamp) PARTITION BY RANGE ((a + interval '1 hour'));
CREATE TABLE by_int (id int, created_at timestamptz) PARTITION BY RANGE (id);
CREATE TABLE by_text (label text) PARTITION BY RANGE (label);
CREATE TABLE good (id int, created_at timestamptz, note text) PARTITION BY RANGE (created_at);
CREATE TABLE good_date (d date) PARTITION BY RANGE (d);

-- not partitioned: 42809
SELECT cognomega.create_parent('plain', 'created_at', '1 day');
\echo :LAST_ERROR_SQLSTATE
-- a view is not partitioned either
CREATE VIEW v AS SELECT 1 AS created_at;
SELECT cognomega.create_parent('v', 'created_at', '1 day');
\echo :LAST_ERROR_SQLSTATE
-- LIST and HASH: 42809
SELECT cognomega.create_parent('by_list', 'created_at', '1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.create_parent('by_hash', 'created_at', '1 day');
\echo :LAST_ERROR_SQLSTATE
-- multi-column key and expression key: 0A000
SELECT cognomega.create_parent('two_cols', 'a', '1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.create_parent('by_expr', 'a', '1 day');
\echo :LAST_ERROR_SQLSTATE
-- key column of another type: 42804
SELECT cognomega.create_parent('by_int', 'id', '1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.create_parent('by_text', 'label', '1 day');
\echo :LAST_ERROR_SQLSTATE
-- control not the key column: 42P10; not a column at all: 42703
SELECT cognomega.create_parent('good', 'id', '1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.create_parent('good', 'no_such_column', '1 day');
\echo :LAST_ERROR_SQLSTATE
-- interval <= 0: 22023
SELECT cognomega.create_parent('good', 'created_at', '0 days');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.create_parent('good', 'created_at', '-1 month');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.create_parent('good', 'created_at', '1 month -1 day');
\echo :LAST_ERROR_SQLSTATE
-- months mixed with days: 22023
SELECT cognomega.create_parent('good', 'created_at', '1 month 2 days');
\echo :LAST_ERROR_SQLSTATE
-- a date key needs whole days or months: 22023
SELECT cognomega.create_parent('good_date', 'd', '6 hours');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.create_parent('good_date', 'd', '1 day 1 hour');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.create_parent('good_date', 'd', '36 hours');
\echo :LAST_ERROR_SQLSTATE
-- premake < 1: 22023
SELECT cognomega.create_parent('good', 'created_at', '1 day', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.create_parent('good', 'created_at', '1 day', -3);
\echo :LAST_ERROR_SQLSTATE
-- premake too large to ever be created: 22023 at once, not after creating
-- (and rolling back) 100000 partitions; a start_at so far back that the
-- partitions up to now exceed the limit: 54000 before creating any (the
-- statement_timeout turns a slow failure into 57014, so this test fails)
SET statement_timeout = '10s';
SELECT cognomega.create_parent('good', 'created_at', '1 day', 2147483647);
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.create_parent('good', 'created_at', '1 day', 100001);
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.create_parent('good', 'created_at', '1 day',
                               start_at => '4714-11-24 00:00:00+00 BC');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.create_parent('good', 'created_at', '1 hour',
                               start_at => now() - interval '12 years');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS partitions_left FROM pg_inherits WHERE inhparent = 'good'::regclass;
RESET statement_timeout;
-- retention <= 0: 22023
SELECT cognomega.create_parent('good', 'created_at', '1 day', 2, retention => '-1 day');
\echo :LAST_ERROR_SQLSTATE
-- unknown time zone: 22023
SELECT cognomega.create_parent_in_zone('good', 'created_at', '1 day', 'Mars/Olympus', 2);
\echo :LAST_ERROR_SQLSTATE
-- NULL zone: 22004
SELECT cognomega.create_parent_in_zone('good', 'created_at', '1 day', NULL);
\echo :LAST_ERROR_SQLSTATE
-- NULL where a value is required: 22004
SELECT cognomega.create_parent(NULL, 'created_at', '1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.create_parent('good', NULL, '1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.create_parent('good', 'created_at', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.create_parent('good', 'created_at', '1 day', NULL);
\echo :LAST_ERROR_SQLSTATE
-- a relation OID that does not exist: 42P01
SELECT cognomega.create_parent(0::regclass, 'created_at', '1 day');
\echo :LAST_ERROR_SQLSTATE
-- a temporary table: 0A000 (other sessions, such as the worker, cannot
-- maintain it, and it vanishes with its session)
CREATE TEMP TABLE tmp_parent (created_at timestamptz) PARTITION BY RANGE (created_at);
SELECT cognomega.create_parent('tmp_parent', 'created_at', '1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS tmp_partitions FROM cognomega.show_partitions('tmp_parent');
DROP TABLE tmp_parent;

-- none of the failures left a trace
SELECT count(*) AS configs FROM cognomega.part_config WHERE parent::text LIKE 'pm_err.%' OR parent::text IN ('good', 'good_date');
SELECT count(*) AS partitions FROM pg_inherits WHERE inhparent = 'good'::regclass;

-- already managed: 42710
SELECT cognomega.create_parent('good', 'created_at', '1 month', 1, '2100-01-01');
SELECT cognomega.create_parent('good', 'created_at', '1 month', 1, '2100-01-01');
\echo :LAST_ERROR_SQLSTATE

-- the other functions on a table that is not managed
SELECT * FROM cognomega.run_maintenance('plain');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.partition_data('by_int');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.partition_data('good', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM cognomega.show_partitions('plain');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM cognomega.show_partitions('by_list');
\echo :LAST_ERROR_SQLSTATE
-- a relation that no longer exists (or never did): 42P01 naming the OID
CREATE TABLE gone (created_at timestamptz);
SELECT 'gone'::regclass::oid AS gone_oid \gset
DROP TABLE gone;
\set VERBOSITY sqlstate
SELECT * FROM cognomega.run_maintenance(:gone_oid::oid::regclass);
\echo :LAST_ERROR_SQLSTATE
SELECT :'LAST_ERROR_MESSAGE' ~ '^table with OID [0-9]+ does not exist$' AS names_the_oid;
SELECT cognomega.partition_data(:gone_oid::oid::regclass);
\echo :LAST_ERROR_SQLSTATE
SELECT :'LAST_ERROR_MESSAGE' ~ '^table with OID [0-9]+ does not exist$' AS names_the_oid;
-- '-' (OID 0) names no table: 42P01, not "every parent" as NULL means
SELECT * FROM cognomega.run_maintenance('-');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
-- undo_parent of an unmanaged table: false, no error
SELECT cognomega.undo_parent('plain');
-- STRICT functions return NULL on NULL
SELECT cognomega.undo_parent(NULL) IS NULL AS undo_null,
       cognomega.partition_data(NULL) IS NULL AS data_null;
SELECT count(*) FROM cognomega.show_partitions(NULL);
-- part_config refuses nonsense written by hand too (superuser)
\set VERBOSITY terse
UPDATE cognomega.part_config SET premake = 0 WHERE parent = 'good'::regclass;
\echo :LAST_ERROR_SQLSTATE
UPDATE cognomega.part_config SET part_interval = '-1 day' WHERE parent = 'good'::regclass;
\echo :LAST_ERROR_SQLSTATE

\set VERBOSITY default
SELECT cognomega.undo_parent('good');
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA pm_err CASCADE;
RESET client_min_messages;
