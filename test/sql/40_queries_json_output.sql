-- A cached document is served only under settings that give the same text.
-- The key holds the output settings (TimeZone, DateStyle, IntervalStyle,
-- extra_float_digits, bytea_output, lc_monetary); a column whose output
-- depends on anything else (a reg* type: names read from the catalogs
-- under the search_path; a type whose cast to json is not immutable) makes
-- the document uncached, as it does for cached_query.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
CREATE SCHEMA qry_out;
SELECT count(*) > 0 AS did_something FROM cognomega.setup('qry_out');
RESET client_min_messages;
INSERT INTO qry_out.users (id, email) VALUES ('00000000-0000-0000-0000-0000000000a1', 'a@example.com');
INSERT INTO qry_out.ai_agents (id, user_id, name, type, status)
VALUES ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000a1', 'ag', 'coder', 'active');

-- a regclass column prints the name as the search_path makes it visible
ALTER TABLE qry_out.users ADD COLUMN rc regclass;
UPDATE qry_out.users SET rc = 'qry_out.users'::regclass;
SET search_path = qry_out, public;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-0000000000a1')->'user'->>'rc' AS rc;
SET search_path = public;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-0000000000a1')->'user'->>'rc' AS rc;
SELECT doc->'user'->>'rc' AS rc FROM cognomega.users_with_apps('{00000000-0000-0000-0000-0000000000a1}');
SET search_path = qry_out, public;
SELECT doc->'user'->>'rc' AS rc FROM cognomega.users_with_apps('{00000000-0000-0000-0000-0000000000a1}');
RESET search_path;
ALTER TABLE qry_out.users DROP COLUMN rc;

-- an enum whose cast to json reads a setting the key does not hold
CREATE TYPE qry_out.mood AS ENUM ('ok', 'sad');
CREATE FUNCTION qry_out.mood_json(qry_out.mood) RETURNS json LANGUAGE sql STABLE
AS $$ SELECT pg_catalog.to_json(coalesce(pg_catalog.current_setting('qry_out.prefix', true), '') || $1::text) $$;
CREATE CAST (qry_out.mood AS json) WITH FUNCTION qry_out.mood_json(qry_out.mood);
ALTER TABLE qry_out.users ADD COLUMN mood qry_out.mood DEFAULT 'ok';
SET qry_out.prefix = 'one:';
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-0000000000a1')->'user'->>'mood' AS mood;
SET qry_out.prefix = 'two:';
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-0000000000a1')->'user'->>'mood' AS mood,
       (SELECT to_json(u)->>'mood' FROM qry_out.users u) AS expected;
-- the same type in the analytics rows
ALTER TABLE qry_out.ai_agent_analytics ADD COLUMN mood qry_out.mood DEFAULT 'sad';
INSERT INTO qry_out.ai_agent_analytics (agent_id, period, created_at)
VALUES ('00000000-0000-0000-0000-0000000000b1', 'day', '2026-01-01');
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-0000000000b1', 'day')->>'mood' AS mood;
SET qry_out.prefix = 'three:';
SELECT cognomega.agent_analytics('00000000-0000-0000-0000-0000000000b1', 'day')->>'mood' AS mood;
-- once the type's output is immutable again, the documents are cached
ALTER TABLE qry_out.users DROP COLUMN mood;
ALTER TABLE qry_out.ai_agent_analytics DROP COLUMN mood;
SELECT cognomega.cache_reset_stats();
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-0000000000a1') IS NOT NULL AS found;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-0000000000a1') IS NOT NULL AS found;
SELECT hits, misses FROM cognomega.cache_stats;
-- an enum prints its labels, which ALTER TYPE renames without a write to
-- the table: that DDL invalidates the cache, so an enum column keeps the
-- document cached (one miss, then hits) and a hit never shows an old label
SELECT cognomega.cache_reset_stats();
CREATE TYPE qry_out.tier AS ENUM ('free', 'pro');
ALTER TABLE qry_out.users ADD COLUMN tier qry_out.tier DEFAULT 'pro';
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-0000000000a1')->'user'->>'tier' AS tier;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-0000000000a1')->'user'->>'tier' AS tier;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-0000000000a1')->'user'->>'tier' AS tier;
SELECT hits, misses, stores FROM cognomega.cache_stats;
ALTER TYPE qry_out.tier RENAME VALUE 'pro' TO 'premium';
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-0000000000a1')->'user'->>'tier' AS tier;
ALTER TABLE qry_out.users DROP COLUMN tier;
DROP SCHEMA qry_out CASCADE;
