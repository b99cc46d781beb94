-- The joined query functions need no shared memory: without preloading
-- they answer uncached.
SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS cognomega; RESET client_min_messages;
SELECT cognomega.preloaded();
-- before setup: the clear error naming cognomega.setup
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001');
\echo :LAST_ERROR_SQLSTATE
CREATE SCHEMA qry_np;
SET client_min_messages = warning;
SELECT count(*) > 0 AS did_something FROM cognomega.setup('qry_np');
RESET client_min_messages;
INSERT INTO qry_np.users (id, email, subscription_tier, subscription_status, is_active, created_at)
VALUES ('00000000-0000-0000-0000-000000000001', 'ada@example.com', 'pro', 'active', true, '2026-01-01 10:00+00');
INSERT INTO qry_np.generated_apps (id, user_id, title, status, created_at)
VALUES ('00000000-0000-0000-0000-00000000a001', '00000000-0000-0000-0000-000000000001', 'todo list', 'completed', '2026-02-01 10:00+00');
INSERT INTO qry_np.ai_agents (id, user_id, name, type, status, created_at)
VALUES ('00000000-0000-0000-0000-00000000b001', '00000000-0000-0000-0000-000000000001', 'builder', 'codegen', 'active', '2026-04-01 10:00+00');
INSERT INTO qry_np.ai_agent_analytics (agent_id, period, total_interactions, success_rate, cost_per_interaction, created_at)
VALUES ('00000000-0000-0000-0000-00000000b001', 'daily', 10, 0.9, 0.01, now());
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{apps,0,title}' AS title;
SELECT count(*) FROM cognomega.users_with_apps('{00000000-0000-0000-0000-000000000001,00000000-0000-0000-0000-000000000002}');
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'daily') ->> 'total_interactions' AS total;
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001') #>> '{agents,0,name}' AS agent;
-- a committed change is seen at once
UPDATE qry_np.users SET email = 'ada@new.example.com';
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,email}' AS email;
-- leave the database as the next test expects it
SET client_min_messages = warning;
DROP SCHEMA qry_np CASCADE;
DROP EXTENSION cognomega;
RESET client_min_messages;
