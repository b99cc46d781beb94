
-- ---------------------------------------------------------------------------
-- Part 40: joined query functions (docs/queries.md), src/queries.c.
--
-- Each answers one screen of the platform in one call, from a plan kept per
-- backend, through the result cache when it is usable.  They run as the
-- caller (SECURITY INVOKER): the caller needs SELECT on the tables read.
-- VOLATILE because a call reads the newest committed data (a fresh snapshot
-- in READ COMMITTED, like a cache hit would show), not the statement's.
-- PARALLEL RESTRICTED: the cache and the kept plans live in the leader.
-- json (since 0.3; jsonb before): the documents are built as JSON text,
-- cached as that text and sent as stored; doc::jsonb is the 0.2 value.
-- ---------------------------------------------------------------------------

CREATE FUNCTION cognomega.user_with_apps(user_id uuid)
RETURNS json
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'cognomega_user_with_apps_json';

COMMENT ON FUNCTION cognomega.user_with_apps(uuid) IS
'{"user": {all columns of the user row}, "apps": [{id, title, status, created_at}, ...] newest first}; NULL when the user does not exist';

CREATE FUNCTION cognomega.users_with_apps(user_ids uuid[])
RETURNS TABLE(user_id uuid, doc json)
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED ROWS 20
AS 'MODULE_PATHNAME', 'cognomega_users_with_apps';

COMMENT ON FUNCTION cognomega.users_with_apps(uuid[]) IS
'user_with_apps for each existing user of the array, once each, in the order of first appearance; one query for all';

CREATE FUNCTION cognomega.agent_analytics(agent_id uuid, period text)
RETURNS json
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'cognomega_agent_analytics_json';

COMMENT ON FUNCTION cognomega.agent_analytics(uuid, text) IS
'the newest ai_agent_analytics row of the agent and period as an object, NULL if none; scans partitions newest first and stops at the first holding a row';

CREATE FUNCTION cognomega.user_agents_overview(user_id uuid)
RETURNS json
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'cognomega_user_agents_overview_json';

COMMENT ON FUNCTION cognomega.user_agents_overview(uuid) IS
'{"user_id": ..., "agents": [{id, name, type, status, created_at, pending, in_progress}, ...] active agents newest first}; NULL when the user does not exist';

-- The SQL text a joined query function prepares in this session, with the
-- parameters $1 (and $2): PREPARE it and EXPLAIN EXECUTE to see the plan.
CREATE FUNCTION cognomega.query_sql(function_name text)
RETURNS text
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'cognomega_query_sql';

COMMENT ON FUNCTION cognomega.query_sql(text) IS
'the SQL a joined query function (user_with_apps, users_with_apps, agent_analytics, user_agents_overview) prepares now, for EXPLAIN';

-- The query functions keep the schema setup() recorded per backend; this
-- trigger tells every backend when cognomega.setup_config changes (a
-- relcache invalidation of the table, delivered at commit).
CREATE FUNCTION cognomega._queries_setup_changed()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'cognomega_queries_setup_changed';

REVOKE ALL ON FUNCTION cognomega._queries_setup_changed() FROM PUBLIC;

CREATE TRIGGER queries_setup_changed
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cognomega.setup_config
FOR EACH STATEMENT EXECUTE FUNCTION cognomega._queries_setup_changed();
