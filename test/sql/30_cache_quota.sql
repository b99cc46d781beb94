-- A role's share of the shared cache is bounded (cognomega.cache_role_quota,
-- percent of the cache): past it, its puts evict its own entries, never
-- another role's.  pg_monitor sees the share of each role.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;
\set VERBOSITY sqlstate

CREATE ROLE cognomega_quota_victim;
CREATE ROLE cognomega_quota_hog;
CREATE ROLE cognomega_quota_monitor IN ROLE pg_monitor;
SELECT cognomega.cache_clear() >= 0 AS cleared;
SHOW cognomega.cache_role_quota;

SET ROLE cognomega_quota_victim;
SELECT count(*) FILTER (WHERE cognomega.cache_put('v' || i, to_jsonb(repeat('v', 1000)), '0'))
    AS victim_stored
FROM generate_series(1, 100) i;
-- a role may not raise (or set) its own quota
SET cognomega.cache_role_quota = 100;
RESET ROLE;

-- 40 MB from one role into a 16 MB cache: every put succeeds, but they evict
-- the hog's own entries only
SET ROLE cognomega_quota_hog;
SELECT count(*) FILTER (WHERE cognomega.cache_put('h' || i, to_jsonb(repeat('h', 2000)), '0'))
    AS hog_stored
FROM generate_series(1, 20000) i;
RESET ROLE;
SET ROLE cognomega_quota_victim;
SELECT count(*) FILTER (WHERE cognomega.cache_get('v' || i) IS NOT NULL) AS victim_kept
FROM generate_series(1, 100) i;
RESET ROLE;

-- the share, per role: readable by pg_monitor, not by PUBLIC
SELECT role, entries > 0 AS has_entries,
       bytes <= (SELECT bytes_total FROM cognomega.cache_stats) / 2 AS within_quota,
       bytes > (SELECT bytes_total FROM cognomega.cache_stats) / 3 AS hog_used_its_share
FROM cognomega.cache_role_stats
WHERE role IN ('cognomega_quota_victim', 'cognomega_quota_hog')
ORDER BY role;
SELECT entries = 100 AS victim_entries, bytes >= 100 * 1000 AS victim_bytes
FROM cognomega.cache_role_stats WHERE role = 'cognomega_quota_victim';
SET ROLE cognomega_quota_monitor;
SELECT count(*) >= 2 AS monitor_sees FROM cognomega.cache_role_stats;
RESET ROLE;
SET ROLE cognomega_quota_victim;
SELECT count(*) FROM cognomega.cache_role_stats;
RESET ROLE;

-- a smaller quota (superuser setting, e.g. per role with ALTER ROLE ... SET)
SET cognomega.cache_role_quota = 10;
SET ROLE cognomega_quota_hog;
SELECT count(*) FILTER (WHERE cognomega.cache_put('h' || i, to_jsonb(repeat('h', 2000)), '0'))
    AS hog_stored
FROM generate_series(20001, 22000) i;
RESET ROLE;
SELECT bytes <= (SELECT bytes_total FROM cognomega.cache_stats) / 10 AS within_smaller_quota
FROM cognomega.cache_role_stats WHERE role = 'cognomega_quota_hog';
RESET cognomega.cache_role_quota;
SET cognomega.cache_role_quota = 101;
SET cognomega.cache_role_quota = 0;

-- removal gives the share back
SELECT cognomega.cache_clear() > 0 AS cleared;
SELECT count(*) FROM cognomega.cache_role_stats
WHERE role IN ('cognomega_quota_victim', 'cognomega_quota_hog');

DROP ROLE cognomega_quota_victim;
DROP ROLE cognomega_quota_hog;
DROP ROLE cognomega_quota_monitor;
