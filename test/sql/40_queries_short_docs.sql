-- Documents shorter than 127 bytes come back from SPI with a short varlena
-- header: they must be copied into the caller's memory, not left in SPI's
-- (issue 20), with the cache off and on (a miss stores what was computed).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
CREATE SCHEMA qry_short;
SELECT count(*) > 0 AS did_something FROM cognomega.setup('qry_short');
RESET client_min_messages;

-- 200 users, none with an active agent: {"agents": [], "user_id": ...} is short
INSERT INTO qry_short.users (id, email)
SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(i), 12, '0'))::uuid, 'u' || i || '@x'
  FROM generate_series(1, 200) i;
INSERT INTO qry_short.ai_agents (user_id, name, status)
SELECT id, 'idle', 'paused' FROM qry_short.users;

SET cognomega.cache_enabled = off;
-- the sort in the subquery runs between the call and the comparison,
-- reusing memory SPI_finish freed
SELECT count(*) AS wrong
  FROM qry_short.users u
 WHERE cognomega.user_agents_overview(u.id)::jsonb IS DISTINCT FROM
       (SELECT jsonb_build_object('user_id', u.id, 'agents', '[]'::jsonb)
          FROM (SELECT jsonb_agg(x ORDER BY x) a FROM generate_series(1, 50) x
                 WHERE x::text <> u.id::text) g WHERE g.a IS NOT NULL);
\echo :LAST_ERROR_SQLSTATE

-- a document built in SPI and read after it, through the set-returning one
SELECT count(*) AS wrong
  FROM cognomega.users_with_apps(ARRAY(SELECT id FROM qry_short.users)) d
  JOIN qry_short.users u ON u.id = d.user_id
 WHERE d.doc::jsonb -> 'apps' IS DISTINCT FROM '[]'::jsonb
    OR d.doc::jsonb -> 'user' ->> 'email' IS DISTINCT FROM u.email;

-- with the cache on, what a miss stores is the document, hits give it back
RESET cognomega.cache_enabled;
SELECT cognomega.cache_clear() IS NOT NULL AS cleared;
SELECT count(*) AS wrong
  FROM qry_short.users u, generate_series(1, 2) pass
 WHERE cognomega.user_agents_overview(u.id)::jsonb IS DISTINCT FROM
       (SELECT jsonb_build_object('user_id', u.id, 'agents', '[]'::jsonb)
          FROM (SELECT jsonb_agg(x ORDER BY x) a FROM generate_series(1, 50) x
                 WHERE x::text <> u.id::text) g WHERE g.a IS NOT NULL);

-- agent_analytics: rows of equal created_at give the same answer whatever
-- order they were written in (the other functions order ties by id)
SET cognomega.cache_enabled = off;
INSERT INTO qry_short.ai_agent_analytics (agent_id, period, total_interactions, created_at) VALUES
  ('00000000-0000-0000-0000-0000000000e1', 'daily', 1, '2026-01-01 00:00+00'),
  ('00000000-0000-0000-0000-0000000000e1', 'daily', 2, '2026-01-01 00:00+00'),
  ('00000000-0000-0000-0000-0000000000e2', 'daily', 2, '2026-01-01 00:00+00'),
  ('00000000-0000-0000-0000-0000000000e2', 'daily', 1, '2026-01-01 00:00+00');
SELECT a.agent_id, cognomega.agent_analytics(a.agent_id, 'daily')::jsonb ->> 'total_interactions' AS total
  FROM (VALUES ('00000000-0000-0000-0000-0000000000e1'::uuid), ('00000000-0000-0000-0000-0000000000e2')) a(agent_id);
RESET cognomega.cache_enabled;

SET client_min_messages = warning;
DROP SCHEMA qry_short CASCADE;
