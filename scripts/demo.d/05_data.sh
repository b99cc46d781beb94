# Demo section 05: a realistic synthetic data set in the platform tables
# that cognomega.setup() created in schema public.  Set-based INSERT ...
# SELECT generate_series, deterministic (setseed), then ANALYZE.
#
# Sizes (override with DEMO_USERS, DEMO_APPS ...): 5k users with a skewed
# number of apps each (a few power users), agents, a task queue mostly
# done, and ~6 months of per-agent analytics.  Analytics rows older than the
# partitions partition management premade land in the default partition
# (a later section shows moving them into proper partitions).

section "Demo data"
demo_users=${DEMO_USERS:-5000}
demo_apps=${DEMO_APPS:-80000}
demo_payments=${DEMO_PAYMENTS:-30000}
demo_voice=${DEMO_VOICE:-40000}
demo_agents=${DEMO_AGENTS:-8000}
demo_tasks=${DEMO_TASKS:-100000}
demo_analytics_agents=${DEMO_ANALYTICS_AGENTS:-1500}
note "loading $demo_users users, $demo_apps apps, $demo_payments payments, $demo_voice voice commands,"
note "$demo_agents agents, $demo_tasks tasks, 180 days of analytics for $demo_analytics_agents agents ..."
t0=$(date +%s)
sql -v users="$demo_users" -v apps="$demo_apps" -v payments="$demo_payments" \
    -v voice="$demo_voice" -v agents="$demo_agents" -v tasks="$demo_tasks" \
    -v analytics_agents="$demo_analytics_agents" <<'SQL'
SET search_path = public;
SELECT setseed(0.42) \gset
INSERT INTO users (email, subscription_tier, subscription_status, is_active, created_at)
SELECT 'user' || i || '@example.com',
       (ARRAY['free','free','free','pro','pro','enterprise'])[1 + i % 6],
       CASE WHEN random() < 0.75 THEN 'active'
            WHEN random() < 0.5 THEN 'cancelled' ELSE 'past_due' END,
       random() < 0.95,
       now() - random() * interval '400 days'
  FROM generate_series(1, :users) i;

-- users numbered 1..N, so that other rows can pick one with a skew
CREATE TEMP TABLE demo_u AS SELECT row_number() OVER (ORDER BY created_at) AS n, id FROM users;
CREATE UNIQUE INDEX ON demo_u (n);
ANALYZE demo_u;

INSERT INTO generated_apps (user_id, title, status, created_at)
SELECT u.id, 'App #' || i,
       (ARRAY['completed','completed','completed','completed','completed',
              'generating','failed','draft','draft','archived'])[1 + (random() * 9)::int],
       now() - random() * interval '365 days'
  FROM (SELECT i, 1 + floor(:users * random() ^ 3)::int AS pick FROM generate_series(1, :apps) i OFFSET 0) g
  JOIN demo_u u ON u.n = g.pick;

INSERT INTO payments (user_id, amount, currency, status, created_at)
SELECT u.id, round((5 + random() * 195)::numeric, 2),
       (ARRAY['USD','USD','EUR','GBP'])[1 + (random() * 3)::int],
       CASE WHEN random() < 0.1 THEN 'pending'
            WHEN random() < 0.9 THEN 'succeeded' ELSE 'failed' END,
       now() - random() * interval '365 days'
  FROM (SELECT i, 1 + floor(:users * random() ^ 2)::int AS pick FROM generate_series(1, :payments) i OFFSET 0) g
  JOIN demo_u u ON u.n = g.pick;

INSERT INTO voice_commands (user_id, language, transcript, created_at)
SELECT u.id, (ARRAY['en','en','en','es','de','fr','ja'])[1 + (random() * 6)::int],
       'build me an app that ' || md5(i::text),
       now() - random() * interval '180 days'
  FROM (SELECT i, 1 + floor(:users * random() ^ 2)::int AS pick FROM generate_series(1, :voice) i OFFSET 0) g
  JOIN demo_u u ON u.n = g.pick;

INSERT INTO ai_agents (user_id, name, type, status, created_at)
SELECT u.id, 'agent ' || i,
       (ARRAY['code','design','test','deploy','chat'])[1 + (random() * 4)::int],
       CASE WHEN random() < 0.7 THEN 'active' WHEN random() < 0.5 THEN 'paused' ELSE 'retired' END,
       now() - random() * interval '300 days'
  FROM (SELECT i, 1 + floor(:users * random() ^ 2)::int AS pick FROM generate_series(1, :agents) i OFFSET 0) g
  JOIN demo_u u ON u.n = g.pick;

CREATE TEMP TABLE demo_a AS SELECT row_number() OVER (ORDER BY created_at) AS n, id FROM ai_agents;
CREATE UNIQUE INDEX ON demo_a (n);
ANALYZE demo_a;

INSERT INTO ai_agent_tasks (agent_id, priority, status, payload, created_at)
SELECT a.id, (random() * 9)::int,
       CASE WHEN random() < 0.06 THEN 'pending'
            WHEN random() < 0.04 THEN 'in_progress'
            WHEN random() < 0.9 THEN 'completed' ELSE 'failed' END,
       jsonb_build_object('step', i % 17, 'tokens', (random() * 4000)::int),
       now() - random() * interval '90 days'
  FROM (SELECT i, 1 + floor(:agents * random() ^ 2)::int AS pick FROM generate_series(1, :tasks) i OFFSET 0) g
  JOIN demo_a a ON a.n = g.pick;

-- daily and weekly analytics rows for the busiest agents over 180 days
INSERT INTO ai_agent_analytics (agent_id, period, total_interactions,
                                success_rate, cost_per_interaction, created_at)
SELECT a.id, p.period, (random() * 500)::bigint,
       round((0.6 + random() * 0.4)::numeric, 3),
       round((random() * 0.05)::numeric, 4),
       date_trunc('day', now()) - d * interval '1 day' + interval '23 hours'
  FROM demo_a a
 CROSS JOIN generate_series(0, 179) d
 CROSS JOIN (VALUES ('daily'), ('weekly')) p(period)
 WHERE a.n <= :analytics_agents AND (p.period = 'daily' OR d % 7 = 0);

ANALYZE;
SQL
note "loaded in $(( $(date +%s) - t0 ))s"
echo
sql <<'SQL'
\pset title 'Platform tables'
SELECT c.oid::regclass AS "table",
       (xpath('/row/n/text()',
              query_to_xml(format('SELECT count(*) AS n FROM %s', c.oid::regclass),
                           false, true, '')))[1]::text::bigint AS "rows",
       (SELECT count(*) FROM pg_partition_tree(c.oid) WHERE level > 0) AS partitions,
       pg_size_pretty((SELECT sum(pg_table_size(t.r)) FROM
                       (SELECT c.oid AS r UNION SELECT relid FROM pg_partition_tree(c.oid)) t)) AS "table size",
       pg_size_pretty((SELECT sum(pg_indexes_size(t.r)) FROM
                       (SELECT c.oid AS r UNION SELECT relid FROM pg_partition_tree(c.oid)) t)) AS "index size"
  FROM cognomega.recommended_indexes r
  JOIN pg_class c ON c.relname = r.table_name
                 AND c.relnamespace = cognomega.app_schema()::regnamespace
 ORDER BY r.ord;
SQL
