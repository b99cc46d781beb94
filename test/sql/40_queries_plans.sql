-- Joined query functions: kept plans follow schema changes and the setup schema.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;

CREATE SCHEMA qry_plans;
SET client_min_messages = warning;
SELECT count(*) > 0 AS did_something FROM cognomega.setup('qry_plans');
RESET client_min_messages;

INSERT INTO qry_plans.users (id, email, subscription_tier, subscription_status, is_active, created_at)
VALUES ('00000000-0000-0000-0000-000000000001', 'ada@example.com', 'pro', 'active', true, '2026-01-01 10:00+00');
INSERT INTO qry_plans.generated_apps (id, user_id, title, status, created_at)
VALUES ('00000000-0000-0000-0000-00000000a001', '00000000-0000-0000-0000-000000000001', 'todo list', 'completed', '2026-02-01 10:00+00');
INSERT INTO qry_plans.ai_agents (id, user_id, name, type, status, created_at)
VALUES ('00000000-0000-0000-0000-00000000b001', '00000000-0000-0000-0000-000000000001', 'builder', 'codegen', 'active', '2026-04-01 10:00+00');

-- every function prepares and keeps its plan
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') -> 'user' ->> 'email' AS email;
SELECT count(*) FROM cognomega.users_with_apps('{00000000-0000-0000-0000-000000000001}');
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001') #>> '{agents,0,name}' AS agent;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'daily') IS NULL AS no_analytics;

-- a column added by ALTER TABLE appears in the user document, no reinstall
ALTER TABLE qry_plans.users ADD COLUMN display_name text DEFAULT 'Ada';
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') -> 'user' ->> 'display_name' AS display_name;
SELECT doc -> 'user' ->> 'display_name' AS display_name
  FROM cognomega.users_with_apps('{00000000-0000-0000-0000-000000000001}');
SELECT cognomega.user_with_apps(u.id)::jsonb -> 'user' = to_jsonb(u) AS whole_row FROM qry_plans.users u;
-- and a dropped one disappears
ALTER TABLE qry_plans.users DROP COLUMN display_name;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001')::jsonb -> 'user' ? 'display_name' AS has_display_name;
SELECT cognomega.user_with_apps(u.id)::jsonb -> 'user' = to_jsonb(u) AS whole_row FROM qry_plans.users u;

-- a column type change of a table the documents read
ALTER TABLE qry_plans.generated_apps ALTER COLUMN title TYPE varchar(200);
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{apps,0,title}' AS title;
ALTER TABLE qry_plans.generated_apps ALTER COLUMN title TYPE text;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{apps,0,title}' AS title;

-- dropping and re-creating the indexes neither breaks nor stales the plans
CREATE TEMP TABLE qry_saved_indexes AS
  SELECT indexrelid::regclass::text AS idx, pg_get_indexdef(indexrelid) AS def
    FROM pg_index WHERE indrelid = 'qry_plans.generated_apps'::regclass AND NOT indisprimary;
SELECT count(*) > 0 AS some_index FROM qry_saved_indexes;
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT idx FROM qry_saved_indexes LOOP EXECUTE 'DROP INDEX ' || r.idx; END LOOP;
END $$;
INSERT INTO qry_plans.generated_apps (id, user_id, title, status, created_at)
VALUES ('00000000-0000-0000-0000-00000000a002', '00000000-0000-0000-0000-000000000001', 'crm', 'generating', '2026-03-01 10:00+00');
SELECT jsonb_path_query_array(cognomega.user_with_apps('00000000-0000-0000-0000-000000000001')::jsonb, '$.apps[*].title') AS titles;
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT def FROM qry_saved_indexes LOOP EXECUTE r.def; END LOOP;
END $$;
UPDATE qry_plans.generated_apps SET title = 'crm v2' WHERE id = '00000000-0000-0000-0000-00000000a002';
SELECT jsonb_path_query_array(cognomega.user_with_apps('00000000-0000-0000-0000-000000000001')::jsonb, '$.apps[*].title') AS titles;
SET client_min_messages = warning;
ALTER TABLE qry_plans.users DROP CONSTRAINT users_pkey CASCADE;
RESET client_min_messages;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') -> 'user' ->> 'email' AS email;
ALTER TABLE qry_plans.users ADD PRIMARY KEY (id);
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') -> 'user' ->> 'email' AS email;

-- a table dropped and created again by setup: found by name again
DROP TABLE qry_plans.ai_agent_tasks;
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001');
\echo :LAST_ERROR_SQLSTATE
SET client_min_messages = warning;
SELECT count(*) > 0 AS did_something FROM cognomega.setup('qry_plans');
RESET client_min_messages;
INSERT INTO qry_plans.ai_agent_tasks (id, agent_id, priority, status, payload, created_at)
VALUES ('00000000-0000-0000-0000-00000000c001', '00000000-0000-0000-0000-00000000b001', 1, 'pending', '{}', '2026-05-01 10:00+00');
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001') #> '{agents,0,pending}' AS pending;

-- setup run into another schema: the functions read from there, not the old one
CREATE SCHEMA qry_plans_b;
SET client_min_messages = warning;
SELECT count(*) > 0 AS did_something FROM cognomega.setup('qry_plans_b');
RESET client_min_messages;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') IS NULL AS not_in_new_schema;
SELECT count(*) FROM cognomega.users_with_apps('{00000000-0000-0000-0000-000000000001}');
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001') IS NULL AS not_in_new_schema;
INSERT INTO qry_plans_b.users (id, email, subscription_tier, subscription_status, is_active, created_at)
VALUES ('00000000-0000-0000-0000-000000000001', 'ada@b.example.com', 'free', 'active', true, '2026-01-01 10:00+00');
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') -> 'user' ->> 'email' AS email;
SELECT cognomega.query_sql('user_with_apps') LIKE '%qry_plans_b.users%' AS reads_new_schema;
-- and back
SET client_min_messages = warning;
SELECT count(*) > 0 AS did_something FROM cognomega.setup('qry_plans');
RESET client_min_messages;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') -> 'user' ->> 'email' AS email;

-- a missing platform table is named, with a hint to run setup
ALTER TABLE qry_plans.ai_agent_analytics RENAME TO ai_agent_analytics_old;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'daily');
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE qry_plans.ai_agent_analytics_old RENAME TO ai_agent_analytics;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'daily') IS NULL AS no_analytics;

-- the TimeZone shapes the timestamps of the document (and is part of the cache key)
SET TimeZone = 'UTC';
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,created_at}' AS created_at;
SET TimeZone = 'Asia/Tokyo';
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,created_at}' AS created_at;
RESET TimeZone;

-- the caller's search_path does not matter (everything is qualified), even
-- an empty one or one with look-alike functions first (cache off: computed)
SET cognomega.cache_enabled = off;
CREATE SCHEMA qry_evil;
CREATE FUNCTION qry_evil.to_jsonb(anyelement) RETURNS jsonb LANGUAGE sql AS $$ SELECT '"evil"'::jsonb $$;
CREATE FUNCTION qry_evil.to_json(anyelement) RETURNS json LANGUAGE sql AS $$ SELECT '"evil"'::json $$;
CREATE FUNCTION qry_evil.count(anyelement) RETURNS bigint LANGUAGE sql AS $$ SELECT 42::bigint $$;
SET search_path = '';
SELECT pg_catalog.json_typeof(cognomega.user_with_apps('00000000-0000-0000-0000-000000000001')) AS doc;
SELECT pg_catalog.count(*) FROM cognomega.users_with_apps('{00000000-0000-0000-0000-000000000001}');
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001') OPERATOR(pg_catalog.#>) '{agents,0,pending}' AS pending;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'daily') IS NULL AS no_analytics;
SET search_path = qry_evil, public;
SELECT json_typeof(cognomega.user_with_apps('00000000-0000-0000-0000-000000000001')) AS doc;
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001') #> '{agents,0,pending}' AS pending;
RESET search_path;
RESET cognomega.cache_enabled;
SET client_min_messages = warning;
DROP SCHEMA qry_evil CASCADE;
RESET client_min_messages;
