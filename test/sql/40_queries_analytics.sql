-- agent_analytics: the newest row, scanning only the partitions it must.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;

CREATE SCHEMA qry_an;
SET client_min_messages = warning;
SELECT count(*) > 0 AS did_something FROM cognomega.setup('qry_an');
RESET client_min_messages;

-- fixed monthly partitions (whatever setup made is replaced) and a default one
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT inhrelid::regclass AS p FROM pg_inherits
            WHERE inhparent = 'qry_an.ai_agent_analytics'::regclass LOOP
    EXECUTE 'DROP TABLE ' || r.p;
  END LOOP;
END $$;
CREATE TABLE qry_an.an_2025_01 PARTITION OF qry_an.ai_agent_analytics FOR VALUES FROM ('2025-01-01 00:00+00') TO ('2025-02-01 00:00+00');
CREATE TABLE qry_an.an_2025_02 PARTITION OF qry_an.ai_agent_analytics FOR VALUES FROM ('2025-02-01 00:00+00') TO ('2025-03-01 00:00+00');
CREATE TABLE qry_an.an_2025_03 PARTITION OF qry_an.ai_agent_analytics FOR VALUES FROM ('2025-03-01 00:00+00') TO ('2025-04-01 00:00+00');
CREATE TABLE qry_an.an_2025_04 PARTITION OF qry_an.ai_agent_analytics FOR VALUES FROM ('2025-04-01 00:00+00') TO ('2025-05-01 00:00+00');
CREATE TABLE qry_an.an_default PARTITION OF qry_an.ai_agent_analytics DEFAULT;
-- the recommended index, if setup did not make it
SET client_min_messages = warning;
CREATE INDEX IF NOT EXISTS ai_agent_analytics_agent_id_period_created_at_idx
  ON qry_an.ai_agent_analytics (agent_id, period, created_at DESC);
RESET client_min_messages;

-- agent a1: daily rows in January, February and March; a2: only in January;
-- a3: only a row outside every range partition (in the default one)
INSERT INTO qry_an.ai_agent_analytics (agent_id, period, total_interactions, success_rate, cost_per_interaction, created_at)
SELECT '00000000-0000-0000-0000-0000000000a1', p, n, 0.9, 0.01, ts
  FROM (VALUES ('2025-01-10 00:00+00'::timestamptz, 1), ('2025-02-10 00:00+00', 2), ('2025-03-10 00:00+00', 3),
               ('2025-03-20 00:00+00', 4)) v(ts, n),
       (VALUES ('daily'), ('weekly')) w(p);
INSERT INTO qry_an.ai_agent_analytics (agent_id, period, total_interactions, success_rate, cost_per_interaction, created_at) VALUES
  ('00000000-0000-0000-0000-0000000000a2', 'daily', 7, 0.5, 0.02, '2025-01-15 00:00+00'),
  ('00000000-0000-0000-0000-0000000000a3', 'daily', 9, 0.7, 0.03, '2031-06-01 00:00+00');
-- other agents' rows, so that the tables are not trivially small
INSERT INTO qry_an.ai_agent_analytics (agent_id, period, total_interactions, success_rate, cost_per_interaction, created_at)
SELECT ('00000000-0000-0000-0000-00000001' || lpad(to_hex(g % 500), 4, '0'))::uuid, 'daily', g, 0.5, 0.01,
       '2025-01-01 00:00+00'::timestamptz + (g % 120) * interval '1 day'
  FROM generate_series(1, 20000) g;
ANALYZE qry_an.ai_agent_analytics;

SET TimeZone = 'UTC';
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-0000000000a1', 'daily');
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-0000000000a1', 'weekly') ->> 'total_interactions' AS weekly;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-0000000000a2', 'daily') ->> 'total_interactions' AS a2;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-0000000000a3', 'daily') ->> 'total_interactions' AS a3_in_default;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-0000000000a1', 'monthly') IS NULL AS unknown_period;
-- the object is the whole row
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-0000000000a1', 'daily')::jsonb =
       (SELECT to_jsonb(a) FROM qry_an.ai_agent_analytics a
         WHERE agent_id = '00000000-0000-0000-0000-0000000000a1' AND period = 'daily'
         ORDER BY created_at DESC LIMIT 1) AS whole_row;

-- The plan of the function's own query (query_sql gives its text): range
-- partitions newest first under a Limit, older ones never executed; the
-- default partition is scanned apart (it may hold any created_at).
CREATE FUNCTION pg_temp.plan_of(agent uuid, period text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  -- BUFFERS OFF, no "Index Searches" and whole row counts: 18's defaults
  FOR line IN EXECUTE format('EXPLAIN (ANALYZE, BUFFERS OFF, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE qry_an_plan(%L, %L)', agent, period) LOOP
    CONTINUE WHEN line ~ '(Cond|Filter|Sort Method|Sort Key|Index Searches):';
    RETURN NEXT regexp_replace(regexp_replace(line, ' using \S+| on \S+_idx', '', 'g'),
                               'rows=(\d+)\.00 ', 'rows=\1 ', 'g');
  END LOOP;
END $$;
SELECT cognomega.query_sql('agent_analytics') AS q \gset
PREPARE qry_an_plan(uuid, text) AS :q;
SELECT * FROM pg_temp.plan_of('00000000-0000-0000-0000-0000000000a1', 'daily');
SELECT * FROM pg_temp.plan_of('00000000-0000-0000-0000-0000000000a2', 'daily');
DEALLOCATE qry_an_plan;

-- The function itself, counted: scans of each partition during one call
-- (pg_stat_xact_* counts this transaction's scans; cache off, so it runs).
CREATE FUNCTION pg_temp.scans() RETURNS TABLE(part name, scans bigint)
LANGUAGE sql AS $$
  SELECT relname, seq_scan + coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables
   WHERE schemaname = 'qry_an' AND relname LIKE 'an\_%'
$$;
BEGIN;
SET LOCAL cognomega.cache_enabled = off;
CREATE TEMP TABLE before ON COMMIT DROP AS SELECT * FROM pg_temp.scans();
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-0000000000a1', 'daily') ->> 'total_interactions' AS a1;
SELECT s.part, s.scans - coalesce(b.scans, 0) AS scanned
  FROM pg_temp.scans() s LEFT JOIN before b USING (part) ORDER BY s.part;
COMMIT;

-- a partition added ahead: the function's query follows the new layout
CREATE TABLE qry_an.an_2025_05 PARTITION OF qry_an.ai_agent_analytics FOR VALUES FROM ('2025-05-01 00:00+00') TO ('2025-06-01 00:00+00');
SELECT cognomega.query_sql('agent_analytics') LIKE '%2025-06-01 00:00:00+00%' AS new_upper_bound;
INSERT INTO qry_an.ai_agent_analytics (agent_id, period, total_interactions, success_rate, cost_per_interaction, created_at)
VALUES ('00000000-0000-0000-0000-0000000000a1', 'daily', 5, 0.9, 0.01, '2025-05-02 00:00+00');
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-0000000000a1', 'daily') ->> 'total_interactions' AS a1;
-- the oldest dropped (retention) and a gap in the middle: still right
DROP TABLE qry_an.an_2025_01;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-0000000000a2', 'daily') IS NULL AS a2_gone;
ALTER TABLE qry_an.ai_agent_analytics DETACH PARTITION qry_an.an_2025_05;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-0000000000a1', 'daily') ->> 'total_interactions' AS a1;
DROP TABLE qry_an.an_2025_03;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-0000000000a1', 'daily') ->> 'total_interactions' AS a1;
-- without a default partition
DROP TABLE qry_an.an_default;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-0000000000a1', 'daily') ->> 'total_interactions' AS a1;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-0000000000a3', 'daily') IS NULL AS a3_gone;
-- and with no partition at all
DROP TABLE qry_an.an_2025_02, qry_an.an_2025_04;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-0000000000a1', 'daily') IS NULL AS no_rows;
RESET TimeZone;
