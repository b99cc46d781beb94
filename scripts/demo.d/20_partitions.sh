# Demo section 20: partition management (docs/partman.md).
# ai_agent_analytics is managed by setup() (monthly, 3 ahead); the demo
# data's older rows landed in its default partition.  Shows the status, a
# stats run raising the ROWS_IN_DEFAULT_PARTITION alert, run_maintenance()
# moving the rows into new partitions, a second table with daily partitions
# and a retention (dropped, then detached), and the cost of a no-op run.

section "Partition management: ai_agent_analytics, rows in the default partition"
note "setup() made ai_agent_analytics a managed parent (monthly, 3 partitions ahead);"
note "the demo data goes back 180 days, before the first partition, so those rows sit in the default:"
sql <<'SQL'
SELECT parent, partitions, oldest_start::date, newest_end::date, rows_in_default,
       premade_ahead, needs_attention
  FROM cognomega.partition_status WHERE parent = 'ai_agent_analytics'::regclass;
\pset title 'show_partitions(''ai_agent_analytics'') (the default partition is not listed)'
SELECT partition, range_start::date, range_end::date FROM cognomega.show_partitions('ai_agent_analytics');
\pset title
\echo 'a stats run (what the stats job does every cognomega.stats_interval) raises an alert:'
SELECT cognomega.run_job('stats') AS "run_job('stats')";
SELECT kind, subject, value, threshold, resolved_at IS NOT NULL AS resolved
  FROM cognomega.alerts WHERE subject = 'public.ai_agent_analytics' ORDER BY id DESC LIMIT 1;
SQL

section "run_maintenance(): the rows move into proper partitions"
sql <<'SQL'
SELECT count(*) AS rows_before FROM ai_agent_analytics \gset
SELECT clock_timestamp() AS t0 \gset
CREATE TEMP TABLE demo_actions AS SELECT * FROM cognomega.run_maintenance();
SELECT round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 1) AS secs \gset
\echo 'SELECT * FROM cognomega.run_maintenance();  -- every managed parent'
SELECT parent, action, partition FROM demo_actions ORDER BY parent::text, partition, action;
SELECT count(*) FILTER (WHERE action = 'created') AS "partitions created",
       sum(substring(action FROM '^moved ([0-9]+) rows')::bigint) AS "rows moved",
       :'secs' AS "seconds",
       :rows_before AS "rows before", (SELECT count(*) FROM ai_agent_analytics) AS "rows after"
  FROM demo_actions;
SELECT parent, partitions, oldest_start::date, newest_end::date, rows_in_default,
       premade_ahead, coalesce(needs_attention, '(all well)') AS needs_attention
  FROM cognomega.partition_status WHERE parent = 'ai_agent_analytics'::regclass;
\echo 'the next stats run resolves the alert:'
SELECT cognomega.run_job('stats') AS "run_job('stats')";
SELECT kind, subject, value, resolved_at IS NOT NULL AS resolved
  FROM cognomega.alerts WHERE subject = 'public.ai_agent_analytics' ORDER BY id DESC LIMIT 1;
SQL

section "A second table: daily partitions with a 7-day retention"
sql <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS demo;
RESET client_min_messages;
CREATE TABLE demo.page_views (viewed_at timestamptz NOT NULL, path text, ms int)
    PARTITION BY RANGE (viewed_at);
CREATE INDEX ON demo.page_views (viewed_at);
\echo 'create_parent(''demo.page_views'', ''viewed_at'', ''1 day'', premake => 3,'
\echo '              start_at => 13 days ago, retention => ''7 days''):'
SELECT cognomega.create_parent('demo.page_views', 'viewed_at', '1 day', premake => 3,
                               start_at => date_trunc('day', now()) - interval '13 days',
                               retention => '7 days') AS "partitions created";
-- one row a minute from 13 days ago until now
INSERT INTO demo.page_views
SELECT t, '/app/' || (extract(epoch FROM t)::bigint / 60) % 50, (extract(epoch FROM t)::bigint / 60 * 37) % 900
  FROM generate_series(date_trunc('day', now()) - interval '13 days', now(), interval '1 minute') t;
SELECT parent, partitions, oldest_start::date, newest_end::date, rows_in_default,
       premade_ahead, needs_attention
  FROM cognomega.partition_status WHERE parent = 'demo.page_views'::regclass;
SELECT count(*) AS "rows in demo.page_views" FROM demo.page_views;
\echo 'run_maintenance(''demo.page_views''): partitions older than 7 days are dropped'
SELECT action, partition FROM cognomega.run_maintenance('demo.page_views') ORDER BY partition;
SELECT count(*) AS "rows left", min(viewed_at)::date AS "oldest day" FROM demo.page_views;
\echo 'retention_keep_table: the DBA shortens retention to 3 days and keeps old partitions as tables'
UPDATE cognomega.part_config SET retention = '3 days', retention_keep_table = true
 WHERE parent = 'demo.page_views'::regclass;
SELECT action, partition FROM cognomega.run_maintenance('demo.page_views') ORDER BY partition;
SELECT count(*) AS "rows left", min(viewed_at)::date AS "oldest day" FROM demo.page_views;
\pset title 'the detached partitions are plain tables now, rows intact'
SELECT c.oid::regclass AS "table", c.relispartition AS "still a partition",
       (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %s', c.oid::regclass),
                                            false, true, '')))[1]::text::int AS "rows"
  FROM pg_class c
 WHERE c.relnamespace = 'demo'::regnamespace AND c.relkind = 'r'
   AND c.relname LIKE 'page\_views\_p%' AND NOT c.relispartition
 ORDER BY 1;
\pset title
SELECT partition, range_start::date, range_end::date FROM cognomega.show_partitions('demo.page_views');
SQL

section "The cost of maintenance when there is nothing to do"
sql <<'SQL'
CREATE FUNCTION pg_temp.noop_maintenance_ms(n int) RETURNS numeric
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
BEGIN
    PERFORM cognomega.run_maintenance();            -- warm up
    t0 := clock_timestamp();
    FOR i IN 1..n LOOP
        PERFORM cognomega.run_maintenance();
    END LOOP;
    RETURN round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000 / n, 2);
END
$$;
SELECT (SELECT count(*) FROM cognomega.part_config) AS "managed parents",
       (SELECT count(*) FROM cognomega.part_config p, cognomega.show_partitions(p.parent)) AS "partitions",
       pg_temp.noop_maintenance_ms(20) AS "ms per no-op run_maintenance() (mean of 20)";
SQL
