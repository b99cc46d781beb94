-- The caller's search_path cannot change what a joined query function
-- computes (nor, through the cache, what other sessions of the role get):
-- every operator of the query text is schema-qualified.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;

CREATE SCHEMA qry_sp;
SET client_min_messages = warning;
SELECT count(*) > 0 AS did_something FROM cognomega.setup('qry_sp');
RESET client_min_messages;
INSERT INTO qry_sp.users (id, email, subscription_tier, subscription_status, is_active, created_at)
VALUES ('00000000-0000-0000-0000-000000000001', 'ada@example.com', 'pro', 'active', true, '2026-01-01 10:00+00');
INSERT INTO qry_sp.generated_apps (id, user_id, title, status, created_at)
VALUES ('00000000-0000-0000-0000-00000000a001', '00000000-0000-0000-0000-000000000001', 'todo list', 'completed', '2026-02-01 10:00+00');
INSERT INTO qry_sp.ai_agents (id, user_id, name, type, status, created_at)
VALUES ('00000000-0000-0000-0000-00000000b001', '00000000-0000-0000-0000-000000000001', 'builder', 'codegen', 'active', '2026-04-01 10:00+00');
INSERT INTO qry_sp.ai_agent_tasks (id, agent_id, priority, status, payload, created_at)
VALUES ('00000000-0000-0000-0000-00000000c001', '00000000-0000-0000-0000-00000000b001', 1, 'done', '{}', '2026-05-01 10:00+00');
INSERT INTO qry_sp.ai_agent_analytics (agent_id, period, total_interactions, success_rate, cost_per_interaction, created_at)
VALUES ('00000000-0000-0000-0000-00000000b001', 'daily', 10, 0.9, 0.01, now());

-- operators that say "equal" to anything, in a schema searched before pg_catalog
CREATE SCHEMA qry_sp_evil;
CREATE FUNCTION qry_sp_evil.always(uuid, uuid) RETURNS bool LANGUAGE sql IMMUTABLE RETURN true;
CREATE FUNCTION qry_sp_evil.always(text, text) RETURNS bool LANGUAGE sql IMMUTABLE RETURN true;
CREATE FUNCTION qry_sp_evil.always(timestamptz, timestamptz) RETURNS bool LANGUAGE sql IMMUTABLE RETURN true;
CREATE OPERATOR qry_sp_evil.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = qry_sp_evil.always);
CREATE OPERATOR qry_sp_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = qry_sp_evil.always);
CREATE OPERATOR qry_sp_evil.>= (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = qry_sp_evil.always);
CREATE OPERATOR qry_sp_evil.< (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = qry_sp_evil.always);

SET search_path = qry_sp_evil, pg_catalog;
SET cognomega.cache_enabled = off;
-- an unknown user or agent stays unknown; the task in status 'done' is not counted
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-00000000ffff') AS unknown_user;
SELECT count(*) AS unknown_users FROM cognomega.users_with_apps('{00000000-0000-0000-0000-00000000ffff}');
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000ffff', 'daily') AS unknown_agent;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'weekly') AS unknown_period;
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-00000000ffff') AS unknown_owner;
SELECT (cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001')::jsonb #> '{agents,0}') - 'created_at' AS agent;
SELECT json_array_length(cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') -> 'apps') AS apps;
-- the same through the cache: what is stored is not poisoned either
RESET cognomega.cache_enabled;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-00000000ffff') AS unknown_user;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'weekly') AS unknown_period;
SELECT (cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001')::jsonb #> '{agents,0}') - 'created_at' AS agent;
RESET search_path;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-00000000ffff') AS unknown_user;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'weekly') AS unknown_period;

DROP SCHEMA qry_sp_evil CASCADE;
DROP SCHEMA qry_sp CASCADE;
