-- cognomega 0.2 -> 0.3
\echo Use "ALTER EXTENSION cognomega UPDATE TO '0.3'" to load this file. \quit

-- Every change made to sql/src since 0.2 is repeated here, in the order of
-- sql/src; test/t/012_upgrade.pl checks that 0.2 + this script equals a
-- fresh 0.3.

-- ---------------------------------------------------------------------------
-- Issue 11: the query functions and cached_query return json (JSON text,
-- cached and sent as text) instead of jsonb.  A return type cannot be
-- altered, so they are dropped and created again.  An object that depends
-- on one of them (a view, a column default, a function with a SQL-standard
-- body) would be dropped with it or would have to change its own type: the
-- update refuses instead, naming those objects, and changes nothing.
-- Privileges granted on the five functions are reset to the default
-- (EXECUTE for PUBLIC); a WARNING lists the GRANTs to run again.
-- ---------------------------------------------------------------------------

DO $upgrade$
DECLARE
	fns regprocedure[] := ARRAY[
		'cognomega.user_with_apps(uuid)'::regprocedure,
		'cognomega.users_with_apps(uuid[])'::regprocedure,
		'cognomega.agent_analytics(uuid,text)'::regprocedure,
		'cognomega.user_agents_overview(uuid)'::regprocedure,
		'cognomega.cached_query(text,interval)'::regprocedure];
	dependents text;
	grants text;
BEGIN
	SELECT string_agg(DISTINCT coalesce(pg_describe_object('pg_class'::regclass, r.ev_class, 0),
	                                    pg_describe_object(d.classid, d.objid, d.objsubid))
	                  || format(' (on cognomega.%s(%s))', p.proname,
	                            pg_get_function_identity_arguments(p.oid)), ', ')
	  INTO dependents
	  FROM pg_depend d
	  JOIN pg_proc p ON p.oid = d.refobjid
	  LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
	 WHERE d.refclassid = 'pg_proc'::regclass AND d.refobjid = ANY (fns)
	   AND d.deptype = 'n';
	IF dependents IS NOT NULL THEN
		RAISE EXCEPTION 'cannot update extension cognomega to 0.3: objects depend on functions whose result type changes from jsonb to json'
		      USING ERRCODE = 'dependent_objects_still_exist',
		            DETAIL = 'Depending objects: ' || dependents || '.',
		            HINT = 'Drop them, run ALTER EXTENSION cognomega UPDATE again and re-create them; a call cast with ::jsonb keeps its jsonb type.';
	END IF;

	SELECT string_agg(format('GRANT EXECUTE ON FUNCTION cognomega.%I(%s) TO %s%s;', p.proname,
	                         pg_get_function_identity_arguments(p.oid),
	                         CASE WHEN a.grantee = 0 THEN 'PUBLIC'
	                              ELSE a.grantee::regrole::text END,
	                         CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END),
	                  ' ' ORDER BY p.oid, a.grantee)
	  INTO grants
	  FROM pg_proc p CROSS JOIN LATERAL aclexplode(p.proacl) a
	 WHERE p.oid = ANY (fns) AND p.proacl IS NOT NULL AND a.grantee <> p.proowner;
	IF EXISTS (SELECT FROM pg_proc p WHERE p.oid = ANY (fns) AND p.proacl IS NOT NULL) THEN
		RAISE WARNING 'privileges on cognomega''s query functions are reset to the default by the update to 0.3'
		      USING DETAIL = 'They were re-created because their result type changed from jsonb to json.',
		            HINT = 'Run again, as needed (with REVOKE EXECUTE ... FROM PUBLIC first if it was revoked): '
		                   || coalesce(grants, '(no GRANT)');
	END IF;
END
$upgrade$;

DROP FUNCTION cognomega.user_with_apps(uuid);
DROP FUNCTION cognomega.users_with_apps(uuid[]);
DROP FUNCTION cognomega.agent_analytics(uuid, text);
DROP FUNCTION cognomega.user_agents_overview(uuid);
DROP FUNCTION cognomega.cached_query(text, interval);

CREATE FUNCTION cognomega.cached_query(query text, ttl interval DEFAULT NULL)
RETURNS json
LANGUAGE C VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cached_query_json';
COMMENT ON FUNCTION cognomega.cached_query(text, interval) IS
    'run a read-only query, its rows as a json array of objects, served from the cache when valid';

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
