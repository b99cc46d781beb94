-- Joined query functions: the shape of each document and the edge cases.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;

-- before setup has run anywhere: a clear error naming cognomega.setup
CREATE DATABASE qry_nosetup;
\c qry_nosetup
SET client_min_messages = warning;
CREATE EXTENSION cognomega;
RESET client_min_messages;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM cognomega.users_with_apps('{00000000-0000-0000-0000-000000000001}');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-000000000001', 'daily');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001');
\echo :LAST_ERROR_SQLSTATE
\c cognomega_regress
DROP DATABASE qry_nosetup;

CREATE SCHEMA qry_docs;
SET client_min_messages = warning;
SELECT count(*) > 0 AS did_something FROM cognomega.setup('qry_docs');
RESET client_min_messages;

INSERT INTO qry_docs.users (id, email, subscription_tier, subscription_status, is_active, created_at) VALUES
  ('00000000-0000-0000-0000-000000000001', 'ada@example.com', 'pro', 'active', true, '2026-01-01 10:00+00'),
  ('00000000-0000-0000-0000-000000000002', 'bob@example.com', 'free', 'active', true, '2026-01-02 10:00+00'),
  ('00000000-0000-0000-0000-000000000003', 'cy@example.com', 'team', 'cancelled', false, '2026-01-03 10:00+00');
INSERT INTO qry_docs.generated_apps (id, user_id, title, status, created_at) VALUES
  ('00000000-0000-0000-0000-00000000a001', '00000000-0000-0000-0000-000000000001', 'todo list', 'completed', '2026-02-01 10:00+00'),
  ('00000000-0000-0000-0000-00000000a002', '00000000-0000-0000-0000-000000000001', 'crm', 'generating', '2026-03-01 10:00+00'),
  -- same created_at as a002: ties are broken by id
  ('00000000-0000-0000-0000-00000000a003', '00000000-0000-0000-0000-000000000001', 'blog', 'failed', '2026-03-01 10:00+00'),
  ('00000000-0000-0000-0000-00000000a004', '00000000-0000-0000-0000-000000000003', 'shop', 'completed', '2026-02-15 10:00+00');

-- user_with_apps: every user column, apps newest first
SELECT jsonb_pretty(cognomega.user_with_apps('00000000-0000-0000-0000-000000000001')::jsonb);
-- a user without apps: "apps": []
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000002');
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000002')::jsonb -> 'apps' = '[]'::jsonb AS empty_apps;
-- the user part is the whole row, exactly to_jsonb of it
SELECT cognomega.user_with_apps(u.id)::jsonb -> 'user' = to_jsonb(u) AS whole_row
  FROM qry_docs.users u ORDER BY u.id;
-- the apps are exactly the user's, in order
SELECT jsonb_path_query_array(cognomega.user_with_apps('00000000-0000-0000-0000-000000000001')::jsonb, '$.apps[*].title') AS titles;
-- unknown user and NULL: NULL (STRICT)
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-0000000000ff') IS NULL AS unknown_is_null;
SELECT cognomega.user_with_apps(NULL) IS NULL AS null_is_null;

-- users_with_apps: existing ids only, once each, in order of first appearance
SELECT user_id, doc -> 'user' ->> 'email' AS email, json_array_length(doc -> 'apps') AS apps
  FROM cognomega.users_with_apps(ARRAY['00000000-0000-0000-0000-000000000003',
                                       '00000000-0000-0000-0000-0000000000ff',
                                       NULL,
                                       '00000000-0000-0000-0000-000000000001',
                                       '00000000-0000-0000-0000-000000000003',
                                       '00000000-0000-0000-0000-000000000002']::uuid[]);
-- each document is the one user_with_apps gives
SELECT bool_and(w.doc::text = cognomega.user_with_apps(w.user_id)::text) AS same_docs, count(*)
  FROM cognomega.users_with_apps(ARRAY(SELECT id FROM qry_docs.users)) w;
-- empty array, array of unknown ids, NULL array: no rows
SELECT count(*) FROM cognomega.users_with_apps('{}');
SELECT count(*) FROM cognomega.users_with_apps('{00000000-0000-0000-0000-0000000000fe,NULL}');
SELECT count(*) FROM cognomega.users_with_apps(NULL);
-- a multi-dimensional array is just a list of ids
SELECT count(*) FROM cognomega.users_with_apps('{{00000000-0000-0000-0000-000000000001,00000000-0000-0000-0000-000000000002}}');

-- user_agents_overview: active agents with pending and in_progress counts
INSERT INTO qry_docs.ai_agents (id, user_id, name, type, status, created_at) VALUES
  ('00000000-0000-0000-0000-00000000b001', '00000000-0000-0000-0000-000000000001', 'builder', 'codegen', 'active', '2026-04-01 10:00+00'),
  ('00000000-0000-0000-0000-00000000b002', '00000000-0000-0000-0000-000000000001', 'tester', 'qa', 'active', '2026-04-02 10:00+00'),
  ('00000000-0000-0000-0000-00000000b003', '00000000-0000-0000-0000-000000000001', 'retired', 'qa', 'paused', '2026-04-03 10:00+00'),
  ('00000000-0000-0000-0000-00000000b004', '00000000-0000-0000-0000-000000000002', 'helper', 'chat', 'paused', '2026-04-04 10:00+00');
INSERT INTO qry_docs.ai_agent_tasks (id, agent_id, priority, status, payload, created_at)
SELECT ('00000000-0000-0000-0000-0000000c' || lpad(to_hex(g), 4, '0'))::uuid,
       a, 1, s, '{}', '2026-05-01 10:00+00'
  FROM (VALUES (1, '00000000-0000-0000-0000-00000000b001'::uuid, 'pending'),
               (2, '00000000-0000-0000-0000-00000000b001', 'pending'),
               (3, '00000000-0000-0000-0000-00000000b001', 'in_progress'),
               (4, '00000000-0000-0000-0000-00000000b001', 'completed'),
               (5, '00000000-0000-0000-0000-00000000b002', 'failed'),
               (6, '00000000-0000-0000-0000-00000000b003', 'pending')) v(g, a, s);
SELECT jsonb_pretty(cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001')::jsonb);
-- a user whose agents are all inactive: "agents": []
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000002');
-- unknown user, NULL: NULL
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-0000000000ff') IS NULL AS unknown_is_null;
SELECT cognomega.user_agents_overview(NULL) IS NULL AS null_is_null;

-- agent_analytics: the newest row of the agent and period as an object
INSERT INTO qry_docs.ai_agent_analytics (agent_id, period, total_interactions, success_rate, cost_per_interaction, created_at) VALUES
  ('00000000-0000-0000-0000-00000000b001', 'daily', 10, 0.90, 0.010, '2026-05-01 00:00+00'),
  ('00000000-0000-0000-0000-00000000b001', 'daily', 12, 0.95, 0.011, '2026-05-02 00:00+00'),
  ('00000000-0000-0000-0000-00000000b001', 'weekly', 70, 0.93, 0.012, '2026-05-03 00:00+00'),
  ('00000000-0000-0000-0000-00000000b002', 'daily', 3, 0.50, 0.020, '2026-05-04 00:00+00');
SELECT jsonb_pretty(cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'daily')::jsonb);
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'weekly') ->> 'total_interactions' AS weekly;
-- unknown period, unknown agent, NULL arguments: NULL
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'fortnightly') IS NULL AS unknown_period;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-0000000000ff', 'daily') IS NULL AS unknown_agent;
SELECT cognomega.agent_analytics(NULL, 'daily') IS NULL AS null_agent;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', NULL) IS NULL AS null_period;

-- the same answers with the cache switched off
SET cognomega.cache_enabled = off;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') -> 'apps' -> 0 ->> 'title' AS newest;
SELECT count(*) FROM cognomega.users_with_apps(ARRAY(SELECT id FROM qry_docs.users));
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'daily') ->> 'total_interactions' AS daily;
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001') #> '{agents,1,pending}' AS builder_pending;
RESET cognomega.cache_enabled;

-- query_sql shows what a function prepares; an unknown name is refused
SELECT cognomega.query_sql('user_with_apps') LIKE '%qry_docs.users u%' AS names_setup_schema;
SELECT cognomega.query_sql('no_such_function');
\echo :LAST_ERROR_SQLSTATE
