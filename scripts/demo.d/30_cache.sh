# Demo section 30: the shared-memory result cache (docs/cache.md).
# cache_put / cache_get with a TTL, cached_query timed uncached / miss /
# hit (clock_timestamp deltas over N calls, microseconds per call), and
# commit-time invalidation across two sessions: session B is a psql kept
# open as a coprocess, so its transaction stays open while session A reads.

section "Result cache: cache_put / cache_get"
sql <<'SQL'
SELECT cognomega.cache_reset_stats() \g /dev/null
\pset title 'cache_stats before (cluster-wide, since the reset)'
SELECT entries, pg_size_pretty(bytes_used) AS used, pg_size_pretty(bytes_total) AS total,
       hits, misses, stores, evictions, expirations, invalidations, hit_ratio
  FROM cognomega.cache_stats;
\pset title
SELECT cognomega.cache_put('plans', '{"free": 0, "pro": 20, "enterprise": 99}', ttl => '10 min')
       AS "cache_put('plans', ..., ttl => '10 min')";
SELECT cognomega.cache_get('plans') AS "cache_get('plans')",
       cognomega.cache_get('no such key') IS NULL AS "a miss is NULL";
\echo 'an entry with ttl => ''1 second'' is not served once it has expired:'
SELECT cognomega.cache_put('otp', '"123456"', ttl => '1 second') AS stored,
       cognomega.cache_get('otp') AS "cache_get now";
SELECT pg_sleep(1.2) \g /dev/null
SELECT cognomega.cache_get('otp') IS NULL AS "cache_get 1.2 s later is NULL";
SQL

section "cached_query(): the same dashboard query uncached, on a miss, on a hit"
cache_n=${DEMO_CACHE_CALLS:-20}
sql -v n="$cache_n" <<'SQL'
\set q 'SELECT u.subscription_tier, p.currency, count(*) AS payments, sum(p.amount) AS revenue FROM public.payments p JOIN public.users u ON u.id = p.user_id WHERE p.status = ''succeeded'' GROUP BY 1, 2 ORDER BY 1, 2'
\echo 'query: ' :q
\echo 'its answer, a json array of row objects (the first rows, through json_to_recordset):'
SELECT * FROM json_to_recordset(cognomega.cached_query(:'q'))
         AS t(subscription_tier text, currency text, payments bigint, revenue numeric)
 LIMIT 4;

-- microseconds per call of cached_query, interleaved so that machine noise
-- hits both alike:
--   uncached: cognomega.cache_enabled = off (runs the query every time)
--   miss:     n distinct texts (a trailing comment makes each its own key):
--             run the query and store the result
--   hit:      the same n texts again, 10 times over
CREATE FUNCTION pg_temp.cq_us(q text, n int, OUT uncached_us numeric, OUT miss_us numeric, OUT hit_us numeric)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    uncached interval := '0';
    miss interval := '0';
BEGIN
    FOR i IN 1..n LOOP
        PERFORM set_config('cognomega.cache_enabled', 'off', true);
        t0 := clock_timestamp();
        PERFORM cognomega.cached_query(q);
        uncached := uncached + (clock_timestamp() - t0);
        PERFORM set_config('cognomega.cache_enabled', 'on', true);
        t0 := clock_timestamp();
        PERFORM cognomega.cached_query(q || ' -- ' || i);
        miss := miss + (clock_timestamp() - t0);
    END LOOP;
    t0 := clock_timestamp();
    FOR r IN 1..10 LOOP
        FOR i IN 1..n LOOP
            PERFORM cognomega.cached_query(q || ' -- ' || i);
        END LOOP;
    END LOOP;
    hit_us := round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1e6 / (10 * n), 1);
    uncached_us := round(extract(epoch FROM uncached)::numeric * 1e6 / n, 1);
    miss_us := round(extract(epoch FROM miss)::numeric * 1e6 / n, 1);
END
$$;
SELECT hits AS h0, misses AS m0, stores AS s0 FROM cognomega.cache_stats \gset
SELECT * FROM pg_temp.cq_us(:'q', :n) \gset
\pset title 'cached_query() cost per call'
SELECT v.variant, v.calls,
       CASE WHEN v.us >= 1000 THEN round(v.us / 1000, 1) || ' ms' ELSE v.us || ' µs' END AS "per call",
       round(:uncached_us / v.us, CASE WHEN :uncached_us / v.us < 10 THEN 1 ELSE 0 END) AS "speed-up vs uncached"
  FROM (VALUES ('uncached (cache_enabled = off)', :n, :uncached_us),
               ('miss: run + store', :n, :miss_us),
               ('hit: served from shared memory', 10 * :n, :hit_us)) v(variant, calls, us);
\pset title
SELECT hits - :h0 AS "hits counted", misses - :m0 AS "misses counted", stores - :s0 AS "stores counted"
  FROM cognomega.cache_stats;
SQL

section "Commit-time invalidation, seen from two sessions"
note "session A (the app) reads the pending-payments total:"
note "  cached_query('SELECT count(*) AS pending, sum(amount) AS amount FROM public.payments WHERE status = ''pending''')"
note "session B (a back-office job) marks 100 pending payments as succeeded in a transaction."
sql <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS demo;
RESET client_min_messages;
-- cached_query(q) with whether the cache served it (cache_stats hits before/after;
-- nothing else uses the cache while the demo runs)
CREATE OR REPLACE FUNCTION demo.read_pending(OUT answer json, OUT served text)
LANGUAGE plpgsql AS $$
DECLARE
    h0 bigint;
BEGIN
    SELECT hits INTO h0 FROM cognomega.cache_stats;
    answer := cognomega.cached_query(
        'SELECT count(*) AS pending, sum(amount) AS amount FROM public.payments WHERE status = ''pending''');
    served := CASE WHEN (SELECT hits FROM cognomega.cache_stats) > h0
                   THEN 'cache hit' ELSE 'computed (miss)' END;
END
$$;
SQL
session_a() {
    printf '  [A] %s\n' "$1"
    sql -At -F '   ' -c "SELECT answer, served FROM demo.read_pending()" | sed 's/^/      /'
}
# session B: one psql kept open; each command is followed by an \echo marker
# that tells when its output is complete (read with a timeout, never hangs)
coproc cache_writer { psql -X -q -v ON_ERROR_STOP=1 --pset=footer=off -At -F '   ' 2>&1; }
# bash unsets the coproc's variables once it has exited: keep copies
cache_b_pid=$cache_writer_PID cache_b_in=${cache_writer[1]} cache_b_out=${cache_writer[0]}
session_b() {
    printf '  [B] %s\n' "$1"
    printf '%s\n\\echo __demo_b_done__\n' "$1" >&"$cache_b_in"
    local line
    while IFS= read -r -t 60 line <&"$cache_b_out"; do
        [ "$line" = __demo_b_done__ ] && break
        printf '      %s\n' "$line"
    done
}
session_a "cached_query(...)           -- first read"
session_a "cached_query(...)           -- again"
session_b "BEGIN;"
session_b "UPDATE payments SET status = 'succeeded' WHERE id IN (SELECT id FROM payments WHERE status = 'pending' ORDER BY id LIMIT 100);"
session_b "SELECT answer, served FROM demo.read_pending();  -- B sees its own write (never from the cache)"
session_a "cached_query(...)           -- B has not committed: the cached answer is still right"
session_b "COMMIT;"
session_a "cached_query(...)           -- after B's commit: recomputed, not the stale entry"
session_a "cached_query(...)           -- and cached again"
eval "exec $cache_b_in>&-"
wait "$cache_b_pid" 2>/dev/null || true

echo
sql <<'SQL'
\pset title 'cache_stats after this section'
SELECT entries, pg_size_pretty(bytes_used) AS used, hits, misses, stores,
       evictions, expirations, invalidations, round(hit_ratio::numeric, 3) AS hit_ratio
  FROM cognomega.cache_stats;
SQL
note "(entries made stale by B's commit, e.g. the 20 dashboard answers, are never served; they"
note " still count in entries until a lookup or the cache_sweep job removes them, which"
note " counts them in invalidations)"
