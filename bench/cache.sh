#!/usr/bin/env bash
# Result cache benchmark: one throwaway cluster, pgbench -M prepared, rounds
# interleaved so that machine noise hits every variant alike.  Prints:
#   cache_get hit        vs  a trivial SELECT of the same parameter
#   cached_query hit     vs  the same trivial SELECT
#   cached_query hit     vs  the same query run uncached (cache_enabled off)
#   cache_get hits with 1, 2 and 8 clients (scaling; no global lock)
# Run from the repo root after `make install` (bench/run does both).
# BENCH_SECONDS (default 3) per run, BENCH_ROUNDS (default 5); medians.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib/cluster.sh"
secs=${BENCH_SECONDS:-3}
rounds=${BENCH_ROUNDS:-5}
clients=${BENCH_CLIENTS:-4}
work=$(mktemp -d /tmp/cognomega-bench-cache.XXXXXX)
chmod 755 "$work"
cp "$here"/bench/cache/*.sql "$work"/
chown -R postgres: "$work" 2>/dev/null || true

cluster_start "$work/cluster" "cognomega.cache_size = '64MB'" "cognomega.databases = ''" \
    "max_connections = 40" "shared_buffers = '128MB'" >/dev/null

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION cognomega;
CREATE TABLE bench_items (id int PRIMARY KEY, grp int, v numeric, label text);
INSERT INTO bench_items
    SELECT g, g % 50 + 1, g * 1.5, md5(g::text) FROM generate_series(1, 200000) g;
CREATE INDEX ON bench_items (grp);
ANALYZE bench_items;
SELECT count(cognomega.cache_put('bench:' || k, to_jsonb(k::text), '0'))
FROM generate_series(1, 1000) k;
SQL

# tps of one pgbench run: run SCRIPT CLIENTS [PGOPTIONS]
run() {
    local script=$1 c=$2 opts=${3:-}
    PGOPTIONS="$opts" pgbench -n -M prepared -c "$c" -j "$(( c < 2 ? 1 : 2 ))" -T "$secs" \
        -f "$work/$script" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}

# per variant: the tps of every round, space separated
declare -A tps
add() { tps[$1]="${tps[$1]:-} $2"; }

# warm the cached_query entries and per-backend plans
run query.sql "$clients" >/dev/null
for r in $(seq 1 "$rounds"); do
    add trivial "$(run trivial.sql "$clients")"
    add get     "$(run get.sql "$clients")"
    add query   "$(run query.sql "$clients")"
    add plain   "$(run plain.sql "$clients")"
    add uncached "$(run query.sql "$clients" '-c cognomega.cache_enabled=off')"
    add get1    "$(run get.sql 1)"
    add get2    "$(run get.sql 2)"
    add get8    "$(run get.sql 8)"
    echo "round $r done" >&2
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END{m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.2f", m}'; }
avg() { echo ${tps[$1]} | median | awk '{printf "%.0f", $1}'; }
# the median over rounds of the per-round ratio: noise hits both sides alike
ratio() {
    paste <(echo ${tps[$1]} | tr ' ' '\n') <(echo ${tps[$2]} | tr ' ' '\n') |
        awk '{printf "%s ", $1/$2}' | median
}

stats=$(psql -X -At -c "SELECT hits, misses, round(hit_ratio::numeric, 4) FROM cognomega.cache_stats")
echo "cache bench: $rounds rounds x ${secs}s, $clients clients unless noted, pgbench -M prepared (medians)"
printf '  %-44s %8s tps\n' "trivial SELECT \$1" "$(avg trivial)" \
    "cache_get hit" "$(avg get)" \
    "cached_query hit (aggregate over 4000 rows)" "$(avg query)" \
    "same aggregate, plain prepared SELECT" "$(avg plain)" \
    "cached_query, cache_enabled = off" "$(avg uncached)" \
    "cache_get hit, 1 client" "$(avg get1)" \
    "cache_get hit, 2 clients" "$(avg get2)" \
    "cache_get hit, 8 clients" "$(avg get8)"
echo "ratios:"
echo "  cache_get hit / trivial SELECT            = $(ratio get trivial)  (target >= 0.85)"
echo "  cached_query hit / trivial SELECT         = $(ratio query trivial)  (target >= 0.85)"
echo "  cached_query hit / uncached cached_query  = $(ratio query uncached)"
echo "  cached_query hit / plain prepared query   = $(ratio query plain)"
echo "  scaling 2 clients / 1 client              = $(ratio get2 get1)"
echo "  scaling 8 clients / 1 client              = $(ratio get8 get1)  ($(nproc) cores)"
echo "  hits|misses|hit_ratio: $stats"
