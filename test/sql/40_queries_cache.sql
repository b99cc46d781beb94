-- Joined query functions through the result cache: hits, shared entries,
-- invalidation by committed writes, keys per TimeZone, the GUC.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;

CREATE SCHEMA qry_cache;
SET client_min_messages = warning;
SELECT count(*) > 0 AS did_something FROM cognomega.setup('qry_cache');
RESET client_min_messages;
INSERT INTO qry_cache.users (id, email, subscription_tier, subscription_status, is_active, created_at) VALUES
  ('00000000-0000-0000-0000-000000000001', 'ada@example.com', 'pro', 'active', true, '2026-01-01 10:00+00'),
  ('00000000-0000-0000-0000-000000000002', 'bob@example.com', 'free', 'active', true, '2026-01-02 10:00+00');
INSERT INTO qry_cache.generated_apps (id, user_id, title, status, created_at) VALUES
  ('00000000-0000-0000-0000-00000000a001', '00000000-0000-0000-0000-000000000001', 'todo list', 'completed', '2026-02-01 10:00+00');
INSERT INTO qry_cache.ai_agents (id, user_id, name, type, status, created_at) VALUES
  ('00000000-0000-0000-0000-00000000b001', '00000000-0000-0000-0000-000000000001', 'builder', 'codegen', 'active', '2026-04-01 10:00+00');
INSERT INTO qry_cache.ai_agent_analytics (agent_id, period, total_interactions, success_rate, cost_per_interaction, created_at)
VALUES ('00000000-0000-0000-0000-00000000b001', 'daily', 10, 0.9, 0.01, now());

-- counters since the last call of this function
CREATE TABLE qry_cache_seen (hits bigint, misses bigint, stores bigint);
INSERT INTO qry_cache_seen SELECT hits, misses, stores FROM cognomega.cache_stats;
CREATE FUNCTION pg_temp.delta(OUT hits bigint, OUT misses bigint, OUT stores bigint)
LANGUAGE plpgsql AS $$
DECLARE s record;
BEGIN
  SELECT c.hits, c.misses, c.stores INTO s FROM cognomega.cache_stats c;
  SELECT s.hits - o.hits, s.misses - o.misses, s.stores - o.stores
    INTO hits, misses, stores FROM qry_cache_seen o;
  UPDATE qry_cache_seen SET hits = s.hits, misses = s.misses, stores = s.stores;
END $$;
SELECT cognomega.cache_clear() >= 0 AS cleared;
SELECT * FROM pg_temp.delta();

-- first call stores, second is a hit with the same document
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,email}' AS email;
SELECT * FROM pg_temp.delta();
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,email}' AS email;
SELECT * FROM pg_temp.delta();

-- users_with_apps shares the entries: one hit (user 1), one stored (user 2)
SELECT user_id FROM cognomega.users_with_apps('{00000000-0000-0000-0000-000000000001,00000000-0000-0000-0000-000000000002}');
SELECT * FROM pg_temp.delta();
SELECT count(*) FROM cognomega.users_with_apps('{00000000-0000-0000-0000-000000000002,00000000-0000-0000-0000-000000000001}');
SELECT * FROM pg_temp.delta();

-- an unknown user is remembered as absent (NULL, then a hit)
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-0000000000ff') IS NULL AS absent;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-0000000000ff') IS NULL AS absent;
SELECT * FROM pg_temp.delta();
-- ... until the user is created
INSERT INTO qry_cache.users (id, email) VALUES ('00000000-0000-0000-0000-0000000000ff', 'new@example.com');
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-0000000000ff') #>> '{user,email}' AS email;

-- a committed write to an app invalidates: the next call recomputes
UPDATE qry_cache.generated_apps SET title = 'todo list v2';
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{apps,0,title}' AS title;
SELECT * FROM pg_temp.delta();

-- inside the writing transaction: its own change, never shared
BEGIN;
UPDATE qry_cache.users SET email = 'ada@tx.example.com' WHERE id = '00000000-0000-0000-0000-000000000001';
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,email}' AS email;
ROLLBACK;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,email}' AS email;

-- the other functions are cached too, and see committed writes
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'daily') ->> 'total_interactions' AS total;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'daily') ->> 'total_interactions' AS total;
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001') #>> '{agents,0,pending}' AS pending;
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001') #>> '{agents,0,pending}' AS pending;
SELECT * FROM pg_temp.delta();
INSERT INTO qry_cache.ai_agent_tasks (id, agent_id, priority, status, payload)
VALUES ('00000000-0000-0000-0000-00000000c001', '00000000-0000-0000-0000-00000000b001', 1, 'pending', '{}');
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000001') #>> '{agents,0,pending}' AS pending;
UPDATE qry_cache.ai_agent_analytics SET total_interactions = 11;
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'daily') ->> 'total_interactions' AS total;
-- a write straight into a partition of the analytics table (the one
-- holding the existing row)
SELECT tableoid::regclass AS part, created_at + interval '1 microsecond' AS ts
  FROM qry_cache.ai_agent_analytics LIMIT 1 \gset
INSERT INTO :part (agent_id, period, total_interactions, success_rate, cost_per_interaction, created_at)
VALUES ('00000000-0000-0000-0000-00000000b001', 'daily', 12, 0.9, 0.01, :'ts');
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-00000000b001', 'daily') ->> 'total_interactions' AS total;
SELECT * FROM pg_temp.delta();

-- the TimeZone is part of the key: each zone gets its own timestamps
SET TimeZone = 'UTC';
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,created_at}' AS created_at;
SET TimeZone = 'Asia/Tokyo';
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,created_at}' AS created_at;
SET TimeZone = 'UTC';
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,created_at}' AS created_at;
RESET TimeZone;
SELECT * FROM pg_temp.delta();

-- so are the settings that shape columns a DBA may add (an interval here)
ALTER TABLE qry_cache.users ADD COLUMN trial interval DEFAULT '1 day 02:00';
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,trial}' AS trial;
SET IntervalStyle = 'iso_8601';
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,trial}' AS trial;
RESET IntervalStyle;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,trial}' AS trial;
SELECT * FROM pg_temp.delta();
ALTER TABLE qry_cache.users DROP COLUMN trial;

-- and lc_monetary (a money column): another setting, another entry
ALTER TABLE qry_cache.users ADD COLUMN credit money DEFAULT 12.5;
SET lc_monetary = 'C';
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,credit}' AS credit;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,credit}' AS credit;
SELECT * FROM pg_temp.delta();
SET lc_monetary = 'C.UTF-8';
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') #>> '{user,credit}' AS credit;
SELECT * FROM pg_temp.delta();
RESET lc_monetary;
ALTER TABLE qry_cache.users DROP COLUMN credit;

-- cognomega.cache_enabled = off: computed every time, nothing looked up or stored
SET cognomega.cache_enabled = off;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') IS NOT NULL AS found;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000001') IS NOT NULL AS found;
SELECT * FROM pg_temp.delta();
RESET cognomega.cache_enabled;

DROP TABLE qry_cache_seen;
