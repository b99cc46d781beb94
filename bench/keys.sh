#!/usr/bin/env bash
# Key-level invalidation (issue 12): the mixed workload of the issue and the
# cost to writers, on one throwaway cluster, pgbench -M prepared.
#
#   mixed    4 clients read user_with_apps for random users among 2000 while
#            one client inserts apps for random users at a fixed rate
#            (pgbench --rate: 0, 10, 100, 1000 per second), three ways:
#              keys   the platform's key triggers (setup() declares them)
#              rel    the key triggers dropped: relation-level invalidation,
#                     as before 0.3
#              off    cognomega.cache_enabled = off
#            prints reader tps, the cache's hit ratio over the run, and
#            keys / off, rel / off
#   writer   an insert-only pgbench on generated_apps (2 clients), with the
#            key trigger and without: the cost of key tracking to writers
#
# Targets (issue 12): hit ratio >= 0.9 and keys / off >= 2 at 1000/s;
# writer with / without >= 0.9.  A benchmark: nothing here passes or fails.
# Knobs: KEYS_SECONDS (5 per run), KEYS_ROUNDS (1), KEYS_RATES ("0 10 100 1000").
# Run as root from the repo root after make install (bench/run does both).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
. scripts/lib/cluster.sh
secs=${KEYS_SECONDS:-5}
rounds=${KEYS_ROUNDS:-1}
rates=${KEYS_RATES:-0 10 100 1000}

dir=$(mktemp -d /tmp/cognomega-bench-keys.XXXXXX)
chmod 755 "$dir"
cp bench/keys/*.sql "$dir/"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
cluster_start "$dir/cluster" "shared_buffers = '256MB'" "cognomega.cache_size = '128MB'" \
    "cognomega.databases = ''" "max_connections = 50" "synchronous_commit = off" >/dev/null

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION cognomega;
SELECT count(*) FROM cognomega.setup('public') \g /dev/null
INSERT INTO users (id, email)
SELECT lpad(to_hex(n), 32, '0')::uuid, 'user' || n || '@example.com' FROM generate_series(1, 2000) n;
INSERT INTO generated_apps (user_id, title, status, created_at)
SELECT lpad(to_hex(n), 32, '0')::uuid, 'app ' || n || '.' || k, 'completed',
       now() - (n * 5 + k) * interval '1 second'
  FROM generate_series(1, 2000) n, generate_series(1, 5) k;
VACUUM ANALYZE;
SQL

keys_on()  { psql -X -q -c "SELECT cognomega.cache_key_column('users', 'id'), cognomega.cache_key_column('generated_apps', 'user_id')" >/dev/null; }
keys_off() { psql -X -q -c "DROP TRIGGER IF EXISTS cognomega_cache_keys ON users; DROP TRIGGER IF EXISTS cognomega_cache_keys ON generated_apps" >/dev/null; }

# mixed VARIANT RATE: "reader_tps hit_ratio writer_tps"
mixed() {
    local variant=$1 rate=$2 opts="" wpid="" rtps wtps=0 ratio
    [ "$variant" = off ] && opts="-c cognomega.cache_enabled=off"
    psql -X -q -c "SELECT cognomega.cache_clear(), cognomega.cache_reset_stats()" >/dev/null
    # warm the cache (every user) and the plans
    PGOPTIONS="$opts" psql -X -q -c "SELECT count(cognomega.user_with_apps(id)) FROM users" >/dev/null
    PGOPTIONS="$opts" pgbench -n -M prepared -c 4 -j 2 -t 200 -f "$dir/read.sql" >/dev/null 2>&1
    psql -X -q -c "SELECT cognomega.cache_reset_stats()" >/dev/null
    if [ "$rate" -gt 0 ]; then
        pgbench -n -M prepared -c 1 -j 1 -T "$secs" --rate="$rate" -f "$dir/write.sql" \
            >"$dir/writer.out" 2>&1 &
        wpid=$!
    fi
    rtps=$(PGOPTIONS="$opts" pgbench -n -M prepared -c 4 -j 2 -T "$secs" -f "$dir/read.sql" 2>/dev/null |
           sed -n 's/^tps = \([0-9.]*\).*/\1/p')
    if [ -n "$wpid" ]; then
        wait "$wpid"
        wtps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$dir/writer.out")
    fi
    ratio=$(psql -X -At -c "SELECT round(coalesce(hit_ratio, 0)::numeric, 3) FROM cognomega.cache_stats")
    echo "$rtps $ratio $wtps"
}

declare -A res
for r in $(seq 1 "$rounds"); do
    for rate in $rates; do
        keys_on;  res[keys.$rate]="${res[keys.$rate]:-} $(mixed keys "$rate")"
        keys_off; res[rel.$rate]="${res[rel.$rate]:-} $(mixed rel "$rate")"
        keys_on;  res[off.$rate]="${res[off.$rate]:-} $(mixed off "$rate")"
    done
    echo "mixed round $r done" >&2
done

# writer cost: insert-only, with and without the key trigger, interleaved
writer() { pgbench -n -M prepared -c 2 -j 2 -T "$secs" -f "$dir/write.sql" 2>/dev/null |
           sed -n 's/^tps = \([0-9.]*\).*/\1/p'; }
wk=""; wn=""
for r in $(seq 1 "$((rounds * 3))"); do
    keys_on;  wk="$wk $(writer)"
    keys_off; wn="$wn $(writer)"
done
keys_on

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END{m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.3f", m}'; }
field() { echo "${res[$1]}" | tr ' ' '\n' | grep . | paste - - - | awk -v f="$2" '{print $f}' | tr '\n' ' ' | median; }

echo "keys bench: ${secs}s per run, $rounds round(s), 4 readers of user_with_apps over 2000 users, pgbench -M prepared"
printf '  %-10s %-6s %10s %9s %10s %9s\n' "inserts/s" "mode" "reader tps" "hit ratio" "writer tps" "÷ off"
for rate in $rates; do
    off=$(field "off.$rate" 1)
    for v in keys rel off; do
        t=$(field "$v.$rate" 1)
        printf '  %-10s %-6s %10.0f %9s %10.0f %9.2f\n' "$rate" "$v" "$t" "$(field "$v.$rate" 2)" \
            "$(field "$v.$rate" 3)" "$(awk -v a="$t" -v b="$off" 'BEGIN{print a/b}')"
    done
done
k=$(echo $wk | median); n=$(echo $wn | median)
echo "writer cost: insert-only generated_apps, 2 clients: with key trigger $k tps, without $n tps"
echo "ratios:"
for rate in $rates; do
    echo "  $rate/s: hit ratio $(field "keys.$rate" 2) (relation-level $(field "rel.$rate" 2)), keys ÷ off = $(awk -v a="$(field "keys.$rate" 1)" -v b="$(field "off.$rate" 1)" 'BEGIN{printf "%.2f", a/b}') (relation-level $(awk -v a="$(field "rel.$rate" 1)" -v b="$(field "off.$rate" 1)" 'BEGIN{printf "%.2f", a/b}'))"
done
echo "  writer with ÷ without key tracking = $(awk -v a="$k" -v b="$n" 'BEGIN{printf "%.2f", a/b}')  (target >= 0.9)"
