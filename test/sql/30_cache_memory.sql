-- Result cache memory: bounded by cognomega.cache_size (16MB in the test
-- cluster), eviction instead of failure, oversize values refused.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;

SELECT cognomega.cache_clear() >= 0 AS cleared;
SELECT cognomega.cache_reset_stats();
SELECT bytes_total > 8 * 1024 * 1024 AND bytes_total <= 16 * 1024 * 1024 AS bounded
FROM cognomega.cache_stats;

-- 40 MB of 1 kB values into a 16 MB cache: every put succeeds, old entries
-- are evicted, memory stays within bounds
SELECT count(*) FILTER (WHERE ok) AS stored, count(*) FILTER (WHERE NOT ok) AS refused
FROM (SELECT cognomega.cache_put('mem:' || i, to_jsonb(repeat('x', 1000))) AS ok
      FROM generate_series(1, 40000) i) s;
SELECT stores, evictions > 0 AS evicted, entries < 40000 AS some_gone,
       entries = stores - evictions AS entries_add_up,
       bytes_used <= bytes_total AS within_bounds
FROM cognomega.cache_stats;
-- the newest entry is there, the oldest is gone
SELECT cognomega.cache_get('mem:40000') IS NOT NULL AS newest_kept,
       cognomega.cache_get('mem:1') IS NULL AS oldest_evicted;

-- a recently read entry survives eviction better than unread ones (CLOCK)
SELECT cognomega.cache_clear() >= 0 AS cleared;
SELECT cognomega.cache_put('mem:hot', '"hot"');
SELECT count(*) FROM (
    SELECT cognomega.cache_put('mem:' || i, to_jsonb(repeat('x', 1000))),
           cognomega.cache_get('mem:hot')
    FROM generate_series(1, 20000) i) s;
SELECT cognomega.cache_get('mem:hot') AS hot_kept;

-- large values: up to cache_max_entry_size, and never more than a quarter
-- of the cache
SET cognomega.cache_max_entry_size = '10kB';
SELECT cognomega.cache_put('mem:big', to_jsonb(repeat('y', 20000))) AS too_big;
SELECT cognomega.cache_put('mem:fits', to_jsonb(repeat('y', 9000))) AS fits;
SELECT length(cognomega.cache_get('mem:fits') #>> '{}');
SET cognomega.cache_max_entry_size = '15MB';
SELECT cognomega.cache_put('mem:huge', to_jsonb(repeat('z', 6 * 1024 * 1024))) AS quarter_exceeded;
SELECT cognomega.cache_put('mem:large', to_jsonb(repeat('z', 3 * 1024 * 1024))) AS large_ok;
SELECT length(cognomega.cache_get('mem:large') #>> '{}');
RESET cognomega.cache_max_entry_size;
SELECT cognomega.cache_put('mem:over_default', to_jsonb(repeat('z', 1024 * 1024))) AS over_default_limit;
-- only superusers change the limit
CREATE ROLE cognomega_cache_mem;
SET ROLE cognomega_cache_mem;
SET cognomega.cache_max_entry_size = '1GB';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP ROLE cognomega_cache_mem;

SELECT cognomega.cache_clear() >= 0 AS cleared;
SELECT entries, bytes_used FROM cognomega.cache_stats;
