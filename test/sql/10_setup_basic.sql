SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS cognomega; RESET client_min_messages;
-- cognomega.setup(): tables, indexes, idempotence, index_status.

-- the signature the contract fixes; administrative: not executable by PUBLIC
SELECT pg_get_function_arguments('cognomega.setup'::regproc) AS args,
       pg_get_function_result('cognomega.setup'::regproc) AS result,
       has_function_privilege('public', 'cognomega.setup(name)', 'EXECUTE') AS public_may_run,
       (SELECT prosecdef FROM pg_proc WHERE oid = 'cognomega.setup'::regproc) AS security_definer;

-- not set up yet: app_schema() says so, index_status is empty
SELECT cognomega.app_schema();
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM cognomega.index_status;
SELECT cognomega.missing_index_ddl();
\echo :LAST_ERROR_SQLSTATE

-- setup on an empty schema: every table, partitioning, every index.
-- (The partitioning line's wording depends on whether partition management
-- is installed; only its start is shown.)
CREATE SCHEMA setup_s1;
SELECT split_part(line, ':', 1) AS line FROM cognomega.setup('setup_s1') AS line;
SELECT cognomega.app_schema();
SELECT app_schema, set_up_at <= now() AS set_up_at_ok FROM cognomega.setup_config;
SELECT table_name, index_name, definition, present, valid, size > 0 AS has_size, scans
  FROM cognomega.index_status;
SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner) = current_user AS owned_by_caller
  FROM pg_class c WHERE c.relnamespace = 'setup_s1'::regnamespace AND c.relkind IN ('r', 'p')
   AND NOT c.relispartition ORDER BY 1;
-- inserts work with defaults, including into the partitioned table
INSERT INTO setup_s1.users (email) VALUES ('a@example.com')
RETURNING subscription_tier, subscription_status, is_active, id IS NOT NULL AS has_id;
INSERT INTO setup_s1.ai_agents (user_id, name, type) SELECT id, 'helper', 'chat' FROM setup_s1.users;
INSERT INTO setup_s1.ai_agent_analytics (agent_id, period, total_interactions, success_rate)
SELECT id, 'daily', 10, 0.9 FROM setup_s1.ai_agents;
SELECT count(*) FROM setup_s1.ai_agent_analytics;
-- constraints where they fit
\set VERBOSITY terse
INSERT INTO setup_s1.payments (user_id, amount) SELECT id, -1 FROM setup_s1.users;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO setup_s1.users (email) VALUES ('a@example.com');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- the tables are not extension members; the config table is a config-dump table
SELECT count(*) AS member_tables FROM pg_depend d
  JOIN pg_class c ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
 WHERE d.deptype = 'e' AND c.relnamespace = 'setup_s1'::regnamespace;
SELECT extconfig::regclass[] @> '{cognomega.setup_config}' AS config_dumped
  FROM pg_extension WHERE extname = 'cognomega';

-- second run: nothing to do
SELECT * FROM cognomega.setup('setup_s1');
SELECT * FROM cognomega.missing_index_ddl();

-- dropping one index: setup adds only it
DROP INDEX setup_s1.payments_user_created_pending_idx;
SELECT index_name, present, valid FROM cognomega.index_status WHERE NOT present;
SELECT * FROM cognomega.setup('setup_s1');
SELECT * FROM cognomega.setup('setup_s1');

-- an equivalent index a DBA made by hand under another name counts as
-- present (keys, directions, predicate; INCLUDE columns allowed), and setup
-- creates no duplicate
DROP INDEX setup_s1.generated_apps_user_status_created_idx;
CREATE INDEX my_apps_idx ON setup_s1.generated_apps (user_id, status, created_at DESC)
 INCLUDE (title) WHERE status IN ('generating', 'completed');
SELECT index_name, present, valid FROM cognomega.index_status
 WHERE table_name = 'setup_s1.generated_apps'::regclass;
SELECT * FROM cognomega.setup('setup_s1');
-- ... but not one that differs: another predicate, direction, or key order
DROP INDEX setup_s1.my_apps_idx;
CREATE INDEX apps_other_pred ON setup_s1.generated_apps (user_id, status, created_at DESC)
 WHERE status IN ('completed');
CREATE INDEX apps_other_dir ON setup_s1.generated_apps (user_id, status, created_at)
 WHERE status IN ('generating', 'completed');
CREATE INDEX apps_other_order ON setup_s1.generated_apps (status, user_id, created_at DESC)
 WHERE status IN ('generating', 'completed');
SELECT index_name, present FROM cognomega.index_status
 WHERE table_name = 'setup_s1.generated_apps'::regclass;
-- the recommended name is taken by another relation: setup picks a free one
CREATE SEQUENCE setup_s1.generated_apps_user_status_created_idx;
SELECT * FROM cognomega.setup('setup_s1');
SELECT index_name, present, valid FROM cognomega.index_status
 WHERE table_name = 'setup_s1.generated_apps'::regclass;
DROP SEQUENCE setup_s1.generated_apps_user_status_created_idx;

-- scans are counted (summed over partitions for the partitioned table)
SET enable_seqscan = off;
SELECT count(*) FROM setup_s1.ai_agent_analytics WHERE agent_id = gen_random_uuid();
SELECT count(*) FROM setup_s1.voice_commands WHERE user_id = gen_random_uuid();
RESET enable_seqscan;
SELECT pg_stat_force_next_flush();
SELECT table_name, scans > 0 AS scanned FROM cognomega.index_status
 WHERE table_name::text IN ('setup_s1.ai_agent_analytics', 'setup_s1.voice_commands');

-- setting up another schema switches the recorded schema
CREATE SCHEMA "Setup S2";
SELECT count(*) AS actions FROM cognomega.setup('Setup S2');
SELECT cognomega.app_schema();
SELECT DISTINCT table_name::regclass::text LIKE '"Setup S2".%' AS all_in_s2, present, valid
  FROM cognomega.index_status;
SELECT * FROM cognomega.setup('Setup S2');
SELECT * FROM cognomega.setup('setup_s1');
SELECT * FROM cognomega.setup('setup_s1');
SET client_min_messages = warning;
DROP SCHEMA "Setup S2" CASCADE;
RESET client_min_messages;
