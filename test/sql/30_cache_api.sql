-- Result cache: the key/value API, statistics arithmetic, TTL, keys scoped
-- by role, grants and every error path.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;

SELECT cognomega.cache_clear() >= 0 AS cleared;
SELECT cognomega.cache_reset_stats();
SELECT entries, bytes_used, hits, misses, stores, evictions, expirations,
       invalidations, hit_ratio, bytes_total > 0 AS has_memory
FROM cognomega.cache_stats;

-- put / get / overwrite / invalidate
SELECT cognomega.cache_put('api:a', '{"n": 1}');
SELECT cognomega.cache_get('api:a');
SELECT cognomega.cache_put('api:a', '{"n": 2}', '1 hour');
SELECT cognomega.cache_get('api:a');
SELECT cognomega.cache_get('api:missing') IS NULL AS miss;
SELECT cognomega.cache_put('api:null', 'null');
SELECT cognomega.cache_get('api:null');
SELECT cognomega.cache_invalidate('api:a');
SELECT cognomega.cache_invalidate('api:a');
SELECT cognomega.cache_get('api:a') IS NULL AS gone;
SELECT cognomega.cache_get(NULL) IS NULL AS null_key_is_a_miss_free_null;

-- statistics: 3 hits (a, a, null), 2 misses (missing, a after invalidate;
-- none for the NULL key: STRICT), 3 stores, 1 invalidation, 1 entry left
SELECT entries, hits, misses, stores, evictions, expirations, invalidations,
       round(hit_ratio::numeric, 2) AS hit_ratio, bytes_used > 0 AS bytes
FROM cognomega.cache_stats;
SELECT cognomega.cache_reset_stats();
SELECT hits, misses, stores, hit_ratio FROM cognomega.cache_stats;

-- TTL: expired entries are never served, even before a sweep
SELECT cognomega.cache_put('api:short', '1', '1 millisecond');
SELECT pg_sleep(0.05);
SELECT cognomega.cache_get('api:short') IS NULL AS expired;
SELECT expirations FROM cognomega.cache_stats;
-- ttl 0: no expiry; default ttl from the setting
SET cognomega.cache_default_ttl = '1ms';
SELECT cognomega.cache_put('api:default', '2');
SELECT cognomega.cache_put('api:forever', '3', '0');
SELECT pg_sleep(0.05);
SELECT cognomega.cache_get('api:default') IS NULL AS default_expired,
       cognomega.cache_get('api:forever') AS forever;
RESET cognomega.cache_default_ttl;
-- the sweep removes what has expired
SELECT cognomega.cache_put('api:sweep', '4', '1 millisecond');
SELECT pg_sleep(0.05);
SELECT cognomega.cache_sweep() >= 1 AS swept;

-- keys are scoped by the current role: SET ROLE counts
CREATE ROLE cognomega_cache_r1;
CREATE ROLE cognomega_cache_r2;
SELECT cognomega.cache_put('api:role', '"superuser"');
SET ROLE cognomega_cache_r1;
SELECT cognomega.cache_get('api:role') IS NULL AS not_shared;
SELECT cognomega.cache_put('api:role', '"r1"');
SELECT cognomega.cache_get('api:role');
SET ROLE cognomega_cache_r2;
SELECT cognomega.cache_get('api:role') IS NULL AS not_shared;
RESET ROLE;
SELECT cognomega.cache_get('api:role');

-- grants: administrative functions are not for PUBLIC
SET ROLE cognomega_cache_r1;
SELECT cognomega.cache_clear();
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cache_reset_stats();
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cache_sweep();
\echo :LAST_ERROR_SQLSTATE
SELECT entries >= 0 AS stats_readable FROM cognomega.cache_stats;
RESET ROLE;

-- errors
SELECT cognomega.cache_put(NULL, '1');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cache_put('api:x', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cache_put('api:x', '1', '-1 second');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cache_put('api:x', '1', NULL, ARRAY[NULL]::regclass[]);
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cache_put('api:x', '1', NULL, '{no_such_table}');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cache_invalidate_relation('no_such_table');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cache_invalidate_relation(0::regclass);
\echo :LAST_ERROR_SQLSTATE
-- NULL depends_on is no dependency
SELECT cognomega.cache_put('api:x', '1', NULL, NULL);

-- cache_invalidate_relation is for the owner
CREATE SCHEMA cache_api;
CREATE TABLE cache_api.t (id int);
GRANT USAGE ON SCHEMA cache_api TO cognomega_cache_r1;
GRANT SELECT ON cache_api.t TO cognomega_cache_r1;
SET ROLE cognomega_cache_r1;
SELECT cognomega.cache_invalidate_relation('cache_api.t');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT cognomega.cache_put('api:dep', '1', NULL, '{cache_api.t}');
SELECT cognomega.cache_put('api:dep2', '2', NULL, '{cache_api.t, cache_api.t}');
SELECT cognomega.cache_invalidate_relation('cache_api.t');
SELECT cognomega.cache_get('api:dep') IS NULL AS gone;

-- cache_clear empties everything and says how much
SELECT cognomega.cache_put('api:c' || i, to_jsonb(i)) FROM generate_series(1, 3) i;
SELECT cognomega.cache_clear() >= 3 AS cleared;
SELECT entries, bytes_used FROM cognomega.cache_stats;

-- cache_enabled governs automatic use only: explicit get/put still work
SET cognomega.cache_enabled = off;
SELECT cognomega.cache_put('api:off', '5');
SELECT cognomega.cache_get('api:off');
RESET cognomega.cache_enabled;

DROP SCHEMA cache_api CASCADE;
SELECT cognomega.cache_clear() >= 0 AS cleared;
DROP ROLE cognomega_cache_r1;
DROP ROLE cognomega_cache_r2;
