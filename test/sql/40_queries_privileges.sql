-- Joined query functions run as the caller: no SELECT, no document (cached or not).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;

CREATE SCHEMA qry_priv;
SET client_min_messages = warning;
SELECT count(*) > 0 AS did_something FROM cognomega.setup('qry_priv');
RESET client_min_messages;
INSERT INTO qry_priv.users (id, email, subscription_tier, subscription_status, is_active, created_at)
VALUES ('00000000-0000-0000-0000-000000000001', 'ada@example.com', 'pro', 'active', true, '2026-01-01 10:00+00');
INSERT INTO qry_priv.generated_apps (id, user_id, title, status, created_at)
VALUES ('00000000-0000-0000-0000-00000000a001', '00000000-0000-0000-0000-000000000001', 'todo list', 'completed', '2026-02-01 10:00+00');
INSERT INTO qry_priv.ai_agents (id, user_id, name, type, status, created_at)
VALUES ('00000000-0000-0000-0000-00000000b001', '00000000-0000-0000-0000-000000000001', 'builder', 'codegen', 'active', '2026-04-01 10:00+00');
INSERT INTO qry_priv.ai_agent_analytics (agent_id, period, total_interactions, success_rate, cost_per_interaction, created_at)
VALUES ('00000000-0000-0000-0000-00000000b001', 'daily', 10, 0.9, 0.01, now());

-- SECURITY INVOKER, all of them
SELECT p.proname, p.prosecdef, p.provolatile, p.proisstrict
  FROM pg_proc p WHERE p.pronamespace = 'cognomega'::regnamespace
   AND p.proname IN ('user_with_apps', 'users_with_apps', 'agent_analytics', 'user_agents_overview')
 ORDER BY 1;

CREATE ROLE regress_qry_reader;
CREATE ROLE regress_qry_nobody;
GRANT USAGE ON SCHEMA qry_priv TO regress_qry_reader, regress_qry_nobody;
GRANT SELECT ON ALL TABLES IN SCHEMA qry_priv TO regress_qry_reader;

-- a reader gets the documents (and, with the cache, fills it)
SET ROLE regress_qry_reader;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,email}' AS email;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,email}' AS email;
SELECT count(*) FROM cognomega.users_with_apps('{00000000-0000-0000-0000-000000000001}');
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'daily') ->> 'total_interactions' AS n;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'daily') ->> 'total_interactions' AS n;
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001') #>> '{agents,0,name}' AS agent;
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001') #>> '{agents,0,name}' AS agent;
RESET ROLE;

-- a role without SELECT: permission denied, never a (cached) document
\set VERBOSITY terse
SET ROLE regress_qry_nobody;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM cognomega.users_with_apps('{00000000-0000-0000-0000-000000000001}');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'daily');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- the reader loses SELECT on one table a document reads: no more document
REVOKE SELECT ON qry_priv.generated_apps, qry_priv.ai_agent_analytics, qry_priv.ai_agent_tasks
  FROM regress_qry_reader;
SET ROLE regress_qry_reader;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM cognomega.users_with_apps('{00000000-0000-0000-0000-000000000001}');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'daily');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- column privileges on exactly what the query reads are enough (answered uncached)
GRANT SELECT (id, user_id, title, status, created_at) ON qry_priv.generated_apps TO regress_qry_reader;
SET ROLE regress_qry_reader;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{apps,0,title}' AS title;
RESET ROLE;

-- no USAGE on the schema: permission denied too (raised while parsing: the
-- error position would depend on the query text, so only the SQLSTATE is shown)
REVOKE USAGE ON SCHEMA qry_priv FROM regress_qry_reader;
SET ROLE regress_qry_reader;
\set VERBOSITY sqlstate
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- USAGE on the schema through a role membership, lost by REVOKE of the
-- membership (no table changes): a document the role stored before is not
-- served any more (SELECT on the tables alone is not enough to read them)
CREATE ROLE regress_qry_schema_users;
CREATE ROLE regress_qry_member IN ROLE regress_qry_schema_users;
GRANT USAGE ON SCHEMA qry_priv TO regress_qry_schema_users;
GRANT SELECT ON ALL TABLES IN SCHEMA qry_priv TO regress_qry_member;
SET ROLE regress_qry_member;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,email}' AS email;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,email}' AS email;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'daily') ->> 'total_interactions' AS n;
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001') #>> '{agents,0,name}' AS agent;
RESET ROLE;
REVOKE regress_qry_schema_users FROM regress_qry_member;
SET ROLE regress_qry_member;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM cognomega.users_with_apps('{00000000-0000-0000-0000-000000000001}');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'daily');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

\set VERBOSITY default
DROP OWNED BY regress_qry_reader, regress_qry_nobody, regress_qry_member, regress_qry_schema_users;
DROP ROLE regress_qry_reader, regress_qry_nobody, regress_qry_member, regress_qry_schema_users;
