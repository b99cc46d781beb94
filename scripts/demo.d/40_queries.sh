# Demo section: joined query functions (docs/queries.md).
# Sourced by scripts/demo with the cluster environment set, after data load.

section "Joined query functions: one call per screen"

# the schema setup recorded, as the functions see it
qry_schema=$(psql -X -At -c "SELECT quote_ident(cognomega.app_schema())" 2>/dev/null || true)
if [ -z "$qry_schema" ]; then
    note "(skipped: cognomega.setup() has not run)"
else
    sql -v s="$qry_schema" <<'SQL'
SELECT user_id FROM :s.generated_apps GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 1 \gset
\echo 'user_with_apps(':user_id'), the first two apps shown:'
SELECT jsonb_pretty(jsonb_set(d, '{apps}', (SELECT coalesce(jsonb_agg(e ORDER BY i), '[]') FROM
         jsonb_array_elements(d -> 'apps') WITH ORDINALITY t(e, i) WHERE i <= 2)))
       || E'\n(' || jsonb_array_length(d -> 'apps') || ' apps in all)' AS user_with_apps
  FROM (SELECT cognomega.user_with_apps(:'user_id')::jsonb) AS t(d);
\echo 'users_with_apps: ten users in one call, one plan:'
SELECT count(*) AS documents, sum(json_array_length(doc -> 'apps')) AS apps
  FROM cognomega.users_with_apps(ARRAY(SELECT id FROM :s.users ORDER BY id LIMIT 10));
SELECT n.agent_id, a.user_id AS agent_user, n.period
  FROM :s.ai_agent_analytics n JOIN :s.ai_agents a ON a.id = n.agent_id
 ORDER BY n.created_at DESC LIMIT 1 \gset
\echo 'user_agents_overview: active agents with pending / in_progress task counts (two shown):'
SELECT jsonb_pretty(jsonb_set(d, '{agents}', (SELECT coalesce(jsonb_agg(e ORDER BY i), '[]') FROM
         jsonb_array_elements(d -> 'agents') WITH ORDINALITY t(e, i) WHERE i <= 2)))
       || E'\n(' || jsonb_array_length(d -> 'agents') || ' active agents in all)' AS user_agents_overview
  FROM (SELECT cognomega.user_agents_overview(:'agent_user')::jsonb) AS t(d);
\echo 'agent_analytics: the newest row of an agent and period:'
SELECT cognomega.agent_analytics(:'agent_id', :'period') AS agent_analytics;
SELECT cognomega.query_sql('agent_analytics') AS q \gset
PREPARE qry_demo(uuid, text) AS :q;
CREATE FUNCTION pg_temp.qry_plan(agent uuid, period text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE l text;
BEGIN
  FOR l IN EXECUTE format('EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE qry_demo(%L, %L)', agent, period) LOOP
    CONTINUE WHEN l ~ '(Cond|Filter|Sort Method|Sort Key|Heap Blocks|Heap Fetches):';
    RETURN NEXT regexp_replace(l, ' using \S+| on \S+_idx', '', 'g');
  END LOOP;
END $$;
\echo 'its plan (query_sql() + EXPLAIN ANALYZE): range partitions newest first, stopping at the first'
\echo 'holding a row (older ones "never executed"), the default partition apart:'
SELECT * FROM pg_temp.qry_plan(:'agent_id', :'period') AS "plan";
SQL
fi

note ""
note "user_with_apps vs the seed pattern, a hand-written join and a trivial query"
note "(bench/queries.sh, short run on its own throwaway cluster):"
QRY_USERS=${QRY_USERS:-2000} QRY_ROUNDS=${QRY_ROUNDS:-1} QRY_SECONDS=${QRY_SECONDS:-2} \
    bash "$(dirname "${BASH_SOURCE[0]}")/../../bench/queries.sh" 2>&1 | sed -n '/^variant/,$p'
