# Demo section 10: the recommended compound indexes (docs/setup.md).
# Shows index_status, then for each of the 7 query patterns the plan with
# the recommended index and its execution time without it (the index is
# dropped inside a subtransaction that is rolled back, so nothing changes)
# and with it.  Times are the best of 3 runs of EXPLAIN ANALYZE.

section "Recommended compound indexes: cognomega.index_status"
sql <<'SQL'
SELECT table_name, index_name, present, valid,
       pg_size_pretty(size) AS size, scans
  FROM cognomega.index_status;
SELECT count(*) AS "missing_index_ddl() statements" FROM cognomega.missing_index_ddl();
SQL

section "The 7 query patterns: plans and execution time without / with the index"
sql <<'SQL'
CREATE SCHEMA IF NOT EXISTS demo;

-- plan text (COSTS OFF, TIMING OFF) and the best execution time of 3 runs
CREATE OR REPLACE FUNCTION demo.explain(q text, OUT plan text, OUT ms numeric)
LANGUAGE plpgsql AS $$
DECLARE
    line text;
    run int;
    t numeric;
BEGIN
    FOR run IN 1..3 LOOP
        plan := '';
        FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) ' || q LOOP
            IF line LIKE 'Execution Time:%' THEN
                t := substring(line FROM '([0-9.]+) ms')::numeric;
                ms := least(coalesce(ms, t), t);
            ELSIF line NOT LIKE 'Planning Time:%' THEN
                plan := plan || '      ' || line || E'\n';
            END IF;
        END LOOP;
    END LOOP;
END
$$;

-- the first scan node of a plan, e.g. "Seq Scan on payments"
CREATE OR REPLACE FUNCTION demo.scan(plan text) RETURNS text
LANGUAGE sql AS $$
SELECT coalesce(substring(plan FROM '((Parallel )?(Seq|Index Only|Index|Bitmap Heap|Bitmap Index) Scan[^\n]*)'), '?')
$$;

-- explain q without the index (dropped in a subtransaction rolled back) and with it
CREATE OR REPLACE FUNCTION demo.compare(idx regclass, q text,
    OUT before_scan text, OUT before_ms numeric, OUT after_plan text, OUT after_ms numeric)
LANGUAGE plpgsql AS $$
DECLARE
    b record;
BEGIN
    BEGIN
        EXECUTE format('DROP INDEX %s', idx);
        b := demo.explain(q);
        before_scan := demo.scan(b.plan);
        before_ms := b.ms;
        RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'undo';
    EXCEPTION WHEN raise_exception THEN
        NULL;   -- the index is back; the variables keep what was measured
    END;
    SELECT e.plan, e.ms INTO after_plan, after_ms FROM demo.explain(q) e;
END
$$;

-- sample arguments: power users (the queries that hurt), an agent with analytics
SELECT user_id AS uid FROM generated_apps GROUP BY user_id ORDER BY count(*) DESC LIMIT 1 \gset
SELECT user_id AS vuid FROM voice_commands GROUP BY user_id ORDER BY count(*) DESC LIMIT 1 \gset
SELECT user_id AS puid FROM payments WHERE status = 'pending' GROUP BY user_id ORDER BY count(*) DESC LIMIT 1 \gset
SELECT user_id AS auid FROM ai_agents WHERE status = 'active' GROUP BY user_id ORDER BY count(*) DESC LIMIT 1 \gset
SELECT agent_id AS aid FROM ai_agent_analytics LIMIT 1 \gset

CREATE TEMP TABLE demo_patterns (n int, label text, tbl name, q text);
INSERT INTO demo_patterns VALUES
 (1, 'active enterprise users (billing dashboards)', 'users',
  $q$SELECT id, email FROM users WHERE subscription_tier = 'enterprise' AND subscription_status = 'active' AND is_active$q$),
 (2, 'a power user''s completed apps, newest first (app list page)', 'generated_apps',
  format($q$SELECT id, title, created_at FROM generated_apps WHERE user_id = %L AND status = 'completed' ORDER BY created_at DESC LIMIT 20$q$, :'uid')),
 (3, 'a user''s pending payments, newest first', 'payments',
  format($q$SELECT id, amount, currency, created_at FROM payments WHERE user_id = %L AND status = 'pending' ORDER BY created_at DESC$q$, :'puid')),
 (4, 'a user''s recent voice commands in one language', 'voice_commands',
  format($q$SELECT id, transcript, created_at FROM voice_commands WHERE user_id = %L AND language = 'en' ORDER BY created_at DESC LIMIT 10$q$, :'vuid')),
 (5, 'a user''s active agents of one type', 'ai_agents',
  format($q$SELECT id, name FROM ai_agents WHERE user_id = %L AND status = 'active' AND type = 'code'$q$, :'auid')),
 (6, 'task queue: oldest pending tasks of the top priority', 'ai_agent_tasks',
  $q$SELECT id, agent_id, payload FROM ai_agent_tasks WHERE priority = 9 AND status = 'pending' ORDER BY created_at LIMIT 10$q$),
 (7, 'an agent''s latest daily analytics', 'ai_agent_analytics',
  format($q$SELECT * FROM ai_agent_analytics WHERE agent_id = %L AND period = 'daily' ORDER BY created_at DESC LIMIT 1$q$, :'aid'));

CREATE TEMP TABLE demo_results AS
SELECT p.n, p.label, p.q, s.index_name, c.*
  FROM demo_patterns p
  JOIN cognomega.index_status s ON s.table_name = (cognomega.app_schema() || '.' || p.tbl)::regclass
 CROSS JOIN LATERAL demo.compare(format('%I.%I', cognomega.app_schema(), s.index_name)::regclass, p.q) c
 ORDER BY p.n;

\pset tuples_only on
\pset format unaligned
SELECT format(E'[%s] %s\n    %s\n    without %s: %s ms (%s)\n    with it: %s ms\n%s',
              n, label, q, index_name, before_ms, before_scan, after_ms, after_plan)
  FROM demo_results ORDER BY n;
\pset tuples_only off
\pset format aligned
\pset title 'Summary: execution time (ms, best of 3) without and with the recommended index'
SELECT n AS "#", index_name AS "index", before_ms AS "without", after_ms AS "with",
       CASE WHEN after_ms > 0 THEN round(before_ms / after_ms, 1) END AS "speed-up"
  FROM demo_results ORDER BY n;
SQL
note
note "index_status after these queries (scans counted since the last stats reset):"
sql <<'SQL'
SELECT table_name, index_name, present, valid, pg_size_pretty(size) AS size, scans
  FROM cognomega.index_status;
SQL
