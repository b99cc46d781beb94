# Demo section 50: background workers (docs/workers.md).
# scripts/demo starts the cluster with cognomega.databases = '' (only the
# launcher runs); this section turns the jobs on for the demo database with
# short intervals (ALTER SYSTEM + pg_reload_conf()), waits for their first
# runs with a bounded poll, then shows job_status, stats_history, an alert
# raised by the worker and resolved after maintenance, and run_job().

# wrk_wait SECONDS QUERY: poll every 0.5 s until QUERY returns t; 1 on timeout
wrk_wait() {
    local deadline=$(( $(date +%s) + $1 ))
    until [ "$(psql -X -At -c "$2" 2>/dev/null)" = t ]; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.5
    done
}

section "Background workers: the launcher, then a worker for the demo database"
note "the cluster started with cognomega.databases = '': only the launcher runs"
wrk_since=$(psql -X -At -c "SELECT now()")
t0=$(date +%s)
sql <<'SQL'
SELECT backend_type, datname, state, query FROM pg_stat_activity
 WHERE backend_type LIKE 'cognomega%' ORDER BY backend_type;
\echo 'turn the jobs on for this database, with short intervals for the demo:'
\echo '  ALTER SYSTEM SET cognomega.databases = current database; stats_interval = 2s;'
\echo '  cache_sweep_interval = 1s; SELECT pg_reload_conf();'
\echo '  (maintenance_interval stays 1h: the managed parents were maintained minutes ago,'
\echo '  so the partition_maintenance job finds none due)'
SELECT format('ALTER SYSTEM SET cognomega.databases = %L', current_database()) \gexec
ALTER SYSTEM SET cognomega.stats_interval = '2s';
ALTER SYSTEM SET cognomega.cache_sweep_interval = '1s';
SELECT pg_reload_conf() \g /dev/null
SQL
if wrk_wait 30 "SELECT (SELECT count(*) FROM cognomega.job_status
                         WHERE database = current_database() AND last_end >= '$wrk_since') = 3
                   AND (SELECT count(*) FROM cognomega.stats_history WHERE recorded_at >= '$wrk_since') >= 2"; then
    note "(waited $(( $(date +%s) - t0 ))s: the worker started, ran every job, and the stats job twice)"
else
    note "(after 30 s the worker has not run every job yet: a busy machine; what it shows so far)"
fi
echo
sql <<'SQL'
SELECT backend_type, datname, usename, state, query FROM pg_stat_activity
 WHERE backend_type LIKE 'cognomega%' ORDER BY backend_type;
\pset title 'cognomega.job_status'
SELECT job, database, last_status, runs, failures,
       round(extract(epoch FROM last_end - last_start)::numeric * 1000, 1) AS "last run ms",
       round(extract(epoch FROM next_run - now())::numeric, 1) AS "next in s",
       last_result
  FROM cognomega.job_status ORDER BY job;
SQL

section "Statistics history and alerts"
sql <<'SQL'
\pset title 'cognomega.stats_history: the latest row'
\x on
SELECT recorded_at, cache_entries, cache_hits, cache_misses, cache_stores, cache_invalidations,
       pg_size_pretty(database_size) AS database_size, xact_commit, xact_rollback,
       connections_total, rows_in_default,
       (SELECT string_agg(format('%s: %s, %s dead tuples, %s premade ahead',
                                 k, pg_size_pretty((v ->> 'size')::bigint), v ->> 'dead_tuples',
                                 v ->> 'premade_ahead'), E'\n' ORDER BY k)
          FROM jsonb_each(managed_tables) t(k, v)) AS managed_tables
  FROM cognomega.stats_history ORDER BY recorded_at DESC LIMIT 1;
\x off
\pset title 'cognomega.stats_rates: per-second rates between consecutive rows (latest 3)'
SELECT recorded_at::time(0) AS at, round(seconds::numeric, 1) AS seconds,
       round(commits_per_s::numeric, 1) AS commits_per_s,
       round(cache_hits_per_s::numeric, 1) AS cache_hits_per_s,
       round(cache_hit_ratio::numeric, 3) AS cache_hit_ratio, rows_in_default
  FROM cognomega.stats_rates ORDER BY recorded_at DESC LIMIT 3;
\pset title
\echo 'a stray row lands in the default partition of ai_agent_analytics (two years old):'
INSERT INTO ai_agent_analytics (agent_id, period, total_interactions, success_rate,
                                cost_per_interaction, created_at)
VALUES (gen_random_uuid(), 'daily', 1, 1, 0, now() - interval '2 years');
SQL
if wrk_wait 20 "SELECT EXISTS (SELECT FROM cognomega.alerts WHERE kind = 'ROWS_IN_DEFAULT_PARTITION'
                                 AND subject = 'public.ai_agent_analytics' AND resolved_at IS NULL)"; then
    note "the worker's stats job (every 2 s) raised an alert:"
else
    note "(no stats run by the worker within 20 s: running one here)"
    sql -At -c "SELECT cognomega.run_job('stats')"
fi
sql <<'SQL'
SELECT id, kind, subject, value, threshold, raised_at::time(0) AS raised,
       resolved_at::time(0) AS resolved
  FROM cognomega.alerts ORDER BY id;
\echo 'run_maintenance(''ai_agent_analytics'') rescues it (the partition_maintenance job would, within maintenance_interval):'
SELECT action, partition FROM cognomega.run_maintenance('ai_agent_analytics');
\echo 'run_job(''stats'') runs a stats job now, in this session, as the worker would:'
SELECT cognomega.run_job('stats') AS "run_job('stats')";
SELECT id, kind, subject, value, threshold, raised_at::time(0) AS raised,
       resolved_at::time(0) AS resolved
  FROM cognomega.alerts ORDER BY id;
SELECT job, last_status, runs, last_result FROM cognomega.job_status WHERE job = 'stats';
SQL

section "System monitoring: memory, CPU, query times, job history, notifications, a chart"
note "each stats run also records the machine (or the server's cgroup v2): memory, CPU time, load;"
note "stats_rates turns them into percentages over each window"
sql <<'SQL'
\pset title 'cognomega.system_stats(): what the stats job reads now'
SELECT pg_size_pretty(memory_used) AS memory_used, pg_size_pretty(memory_total) AS memory_total,
       memory_source, round(cpu_seconds::numeric, 1) AS cpu_seconds, cpu_count, cpu_source, load_1m
  FROM cognomega.system_stats();
\pset title 'cognomega.stats_rates (latest 5 windows)'
SELECT recorded_at::time(0) AS at, round(memory_percent::numeric, 1) AS memory_pct,
       round(cpu_percent::numeric, 1) AS cpu_pct, round(buffer_hit_ratio::numeric, 4) AS buffer_hit_ratio,
       round(commits_per_s::numeric, 1) AS commits_per_s, round(cache_hit_ratio::numeric, 3) AS cache_hit_ratio
  FROM cognomega.stats_rates ORDER BY recorded_at DESC LIMIT 5;
\pset title 'cognomega.job_history: one row per run (by the worker or run_job)'
SELECT job, count(*) AS runs, count(*) FILTER (WHERE status = 'error') AS failed,
       max(started_at)::time(0) AS last_run, bool_or(by_worker) AS by_worker
  FROM cognomega.job_history GROUP BY job ORDER BY job;
\pset title
\echo 'alerts carry a severity, and every raise and resolve is a NOTIFY cognomega_alerts:'
\echo '  LISTEN cognomega_alerts;   -- then, after the next stats run that raises or resolves one:'
SQL
# a threshold no machine stays under, for one stats run, shows a raise and its notification
sql <<'SQL'
ALTER SYSTEM SET cognomega.alert_memory_percent = 0;
SELECT pg_reload_conf() \g /dev/null
SELECT pg_sleep(0.2) \g /dev/null
LISTEN cognomega_alerts;
SELECT cognomega.run_job('stats') AS "run_job('stats') with alert_memory_percent = 0";
SELECT kind, subject, round(value::numeric, 1) AS value, threshold, severity
  FROM cognomega.alerts WHERE kind = 'HIGH_MEMORY_USAGE' AND resolved_at IS NULL;
ALTER SYSTEM RESET cognomega.alert_memory_percent;
SELECT pg_reload_conf() \g /dev/null
SELECT pg_sleep(0.2) \g /dev/null
SELECT cognomega.run_job('stats') AS "run_job('stats') with the default 85";
UNLISTEN *;
SQL

chart=/tmp/cognomega-demo-stats.png
data="$demo_dir/stats_rates.dat"
psql -X -At -F ' ' -c "SELECT extract(epoch FROM recorded_at - min(recorded_at) OVER ())::int,
                              coalesce(commits_per_s::text, 'NaN'),
                              coalesce((cache_hit_ratio * 100)::text, 'NaN'),
                              coalesce(memory_percent::text, 'NaN'), coalesce(cpu_percent::text, 'NaN')
                         FROM cognomega.stats_rates WHERE seconds IS NOT NULL
                        ORDER BY recorded_at" >"$data"
if command -v gnuplot >/dev/null && [ -s "$data" ]; then
    gnuplot <<GNUPLOT
set terminal pngcairo size 1200,800 font ",10" noenhanced
set datafile missing "NaN"
set output "$chart"
set multiplot layout 2,2 title "cognomega.stats_rates during the demo (stats job every 2 s)"
set xlabel "seconds"
set grid
set title "commits per second"
plot "$data" using 1:2 with linespoints notitle
set title "cache hit ratio (%)"
set yrange [0:100]
plot "$data" using 1:3 with linespoints notitle
set title "memory used (%)"
plot "$data" using 1:4 with linespoints notitle
set title "CPU used over each window (%)"
plot "$data" using 1:5 with linespoints notitle
unset multiplot
GNUPLOT
    note "chart of commits/s, cache hit ratio, memory % and CPU % over $(wc -l <"$data") stats windows: $chart"
else
    note "(gnuplot is missing or there are no stats windows yet: no chart)"
fi
