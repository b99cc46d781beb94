SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;

-- The stats job reads cognomega.cache_stats; LOW_CACHE_HIT_RATE is judged on
-- the lookups since the previous stats run, once there are enough of them.
SELECT cognomega.run_job('stats') IS NOT NULL AS baseline;

-- 150 misses: a low hit ratio over enough lookups
SELECT count(cognomega.cache_get('wk-miss-' || g)) AS hits
  FROM generate_series(1, 150) g;
SELECT cognomega.run_job('stats') IS NOT NULL AS ran;
SELECT kind, subject, value, threshold, resolved_at IS NULL AS open
  FROM cognomega.alerts WHERE kind = 'LOW_CACHE_HIT_RATE';
SELECT cache_misses - lag(cache_misses) OVER (ORDER BY recorded_at) AS window_misses
  FROM cognomega.stats_history ORDER BY recorded_at DESC LIMIT 1;

-- too few lookups to judge: the open alert stays as it is
SELECT cognomega.cache_put('wk-hot', '{"x": 1}', interval '1 hour');
SELECT count(cognomega.cache_get('wk-hot')) AS hits FROM generate_series(1, 20) g;
SELECT cognomega.run_job('stats') IS NOT NULL AS ran;
SELECT count(*) AS open FROM cognomega.alerts
 WHERE kind = 'LOW_CACHE_HIT_RATE' AND resolved_at IS NULL;

-- enough hits: resolved
SELECT count(cognomega.cache_get('wk-hot')) AS hits FROM generate_series(1, 300) g;
SELECT cognomega.run_job('stats') IS NOT NULL AS ran;
SELECT kind, resolved_at IS NOT NULL AS resolved, count(*) OVER () AS alerts
  FROM cognomega.alerts WHERE kind = 'LOW_CACHE_HIT_RATE';

-- cache_sweep removes expired entries (the sleep outlasts the TTL by far)
SELECT cognomega.cache_put('wk-short-' || g, '1', interval '1 millisecond')
  FROM generate_series(1, 3) g;
SELECT pg_sleep(0.05);
SELECT (regexp_match(cognomega.run_job('cache_sweep'),
                     '^cache_sweep: (\d+) expired entries removed$'))[1]::int >= 3 AS swept;
SELECT cognomega.run_job('cache_sweep') ~ '^cache_sweep: \d+ expired entries removed$' AS swept_again;
SELECT cognomega.cache_invalidate('wk-hot');
DELETE FROM cognomega.alerts WHERE kind = 'LOW_CACHE_HIT_RATE';
