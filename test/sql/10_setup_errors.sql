SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS cognomega; RESET client_min_messages;
-- cognomega.setup(): every error path, with its SQLSTATE; nothing is ever
-- half created.

-- a schema that does not exist
SELECT * FROM cognomega.setup('setup_no_such_schema');
\echo :LAST_ERROR_SQLSTATE
-- NULL: the function is strict, nothing happens
SELECT count(*) FROM cognomega.setup(NULL);
-- system, temporary and the extension's own schema
SELECT * FROM cognomega.setup('pg_catalog');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM cognomega.setup('cognomega');
\echo :LAST_ERROR_SQLSTATE
CREATE TEMP TABLE setup_tmp ();
\set VERBOSITY sqlstate
SELECT * FROM cognomega.setup(pg_my_temp_schema()::regnamespace::name);
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE

-- a same-named table with an incompatible column: 42804, naming table and column
CREATE SCHEMA setup_bad;
CREATE TABLE setup_bad.users (id int PRIMARY KEY, email text, subscription_tier text,
  subscription_status text, is_active bool, created_at timestamptz);
SELECT * FROM cognomega.setup('setup_bad');
\echo :LAST_ERROR_SQLSTATE
-- varchar is not text: the index predicates are written for text
DROP TABLE setup_bad.users;
CREATE TABLE setup_bad.users (id uuid PRIMARY KEY, email varchar(200), subscription_tier text,
  subscription_status text, is_active bool, created_at timestamptz);
SELECT * FROM cognomega.setup('setup_bad');
\echo :LAST_ERROR_SQLSTATE
-- a missing column: 42703
DROP TABLE setup_bad.users;
CREATE TABLE setup_bad.users (id uuid PRIMARY KEY, email text UNIQUE, subscription_tier text,
  subscription_status text, is_active bool, created_at timestamptz);
CREATE TABLE setup_bad.ai_agent_tasks (id uuid PRIMARY KEY, agent_id uuid, priority int,
  status text, created_at timestamptz);
SELECT * FROM cognomega.setup('setup_bad');
\echo :LAST_ERROR_SQLSTATE
-- a dropped column does not count
ALTER TABLE setup_bad.ai_agent_tasks ADD COLUMN payload jsonb;
ALTER TABLE setup_bad.users DROP COLUMN is_active;
SELECT * FROM cognomega.setup('setup_bad');
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE setup_bad.users ADD COLUMN is_active bool;
-- not a table: 42809
CREATE VIEW setup_bad.payments AS SELECT 1 AS x;
SELECT * FROM cognomega.setup('setup_bad');
\echo :LAST_ERROR_SQLSTATE
-- nothing was created or recorded by the failed calls
SELECT relname FROM pg_class WHERE relnamespace = 'setup_bad'::regnamespace AND relkind IN ('r', 'p') ORDER BY 1;
SELECT count(*) FROM cognomega.setup_config WHERE app_schema = 'setup_bad';
-- an error late in setup (here: a foreign key needs a unique id in an
-- existing table) rolls back everything setup did before it
DROP VIEW setup_bad.payments;
ALTER TABLE setup_bad.users DROP CONSTRAINT users_pkey;
SELECT * FROM cognomega.setup('setup_bad');
\echo :LAST_ERROR_SQLSTATE
SELECT relname FROM pg_class WHERE relnamespace = 'setup_bad'::regnamespace AND relkind IN ('r', 'p') ORDER BY 1;
SELECT count(*) FROM cognomega.setup_config WHERE app_schema = 'setup_bad';
-- fixed, setup completes the existing tables and creates the rest
ALTER TABLE setup_bad.users ADD PRIMARY KEY (id);
SELECT split_part(line, ':', 1) AS line FROM cognomega.setup('setup_bad') AS line;
SELECT count(*) FROM cognomega.index_status WHERE present AND valid;

-- an existing analytics table that is not partitioned is left as it is
CREATE SCHEMA setup_plain;
CREATE TABLE setup_plain.ai_agent_analytics (agent_id uuid, period text,
  total_interactions bigint, success_rate numeric, cost_per_interaction numeric,
  created_at timestamptz);
INSERT INTO setup_plain.ai_agent_analytics VALUES (gen_random_uuid(), 'daily', 1, 1, 0, now());
SELECT count(*) AS actions FROM cognomega.setup('setup_plain');
SELECT relkind, (SELECT count(*) FROM setup_plain.ai_agent_analytics) AS rows_kept
  FROM pg_class WHERE oid = 'setup_plain.ai_agent_analytics'::regclass;
SELECT present, valid FROM cognomega.index_status
 WHERE table_name = 'setup_plain.ai_agent_analytics'::regclass;

-- privileges: setup is not executable by PUBLIC (42501); granted, it still
-- needs CREATE on the schema (42501); with it, the tables are the caller's
CREATE ROLE regress_setup_app;
CREATE SCHEMA setup_app;
SET ROLE regress_setup_app;
SELECT * FROM cognomega.setup('setup_app');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT EXECUTE ON FUNCTION cognomega.setup(name) TO regress_setup_app;
SET ROLE regress_setup_app;
SELECT * FROM cognomega.setup('setup_app');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT CREATE, USAGE ON SCHEMA setup_app TO regress_setup_app;
SET ROLE regress_setup_app;
SELECT count(*) AS actions FROM cognomega.setup('setup_app');
SELECT cognomega.app_schema();
SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class
 WHERE relnamespace = 'setup_app'::regnamespace AND relkind IN ('r', 'p', 'i', 'I');
-- it cannot write the config table directly, only through setup()
UPDATE cognomega.setup_config SET app_schema = 'public';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- another role may not index tables it does not own (42501)
DROP INDEX setup_app.users_tier_status_active_idx;
CREATE ROLE regress_setup_other;
GRANT EXECUTE ON FUNCTION cognomega.setup(name) TO regress_setup_other;
GRANT CREATE, USAGE ON SCHEMA setup_app TO regress_setup_other;
SET ROLE regress_setup_other;
SELECT * FROM cognomega.setup('setup_app');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT * FROM cognomega.setup('setup_app');

-- the recorded schema disappears: app_schema() says so (3F000)
CREATE SCHEMA setup_gone;
SELECT count(*) > 0 AS did_something FROM cognomega.setup('setup_gone');
SET client_min_messages = warning;
DROP SCHEMA setup_gone CASCADE;
RESET client_min_messages;
SELECT cognomega.app_schema();
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM cognomega.index_status;
SELECT * FROM cognomega.missing_index_ddl();
\echo :LAST_ERROR_SQLSTATE

-- clean up (leaving the extension installed)
SET client_min_messages = warning;
DROP SCHEMA setup_bad, setup_plain, setup_app CASCADE;
REVOKE ALL ON FUNCTION cognomega.setup(name) FROM regress_setup_app, regress_setup_other;
DROP ROLE regress_setup_other;
DROP ROLE regress_setup_app;
RESET client_min_messages;
