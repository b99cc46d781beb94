#!/usr/bin/env bash
# Background workers: what do they cost the application?
#
# pgbench's built-in read/write mix (tpcb-like) on one throwaway cluster,
# with cognomega's workers running every job every second in the benchmark
# database (cache_sweep, partition_maintenance on a managed table, stats
# with alerts), versus the workers off -- interleaved rounds in one run,
# toggled with ALTER SYSTEM SET cognomega.databases + pg_reload_conf().
#
# Prints each round's TPS and the ratio (median on / median off); the target
# is >= 0.97.  A benchmark, not a test: nothing here decides pass or fail.
#
# Usage (as root or the cluster owner, from the repository root):
#   bench/workers.sh                 # ROUNDS=4 SECONDS_PER_RUN=15 CLIENTS=4 SCALE=10
#   ROUNDS=2 SECONDS_PER_RUN=10 bench/workers.sh
#   ON_LIST= bench/workers.sh        # A/A: workers off on both sides (noise floor)
#   STATS_INTERVAL=0 bench/workers.sh   # one job off (also SWEEP_, MAINTENANCE_INTERVAL)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-4}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-15}
CLIENTS=${CLIENTS:-4}
SCALE=${SCALE:-10}
export PG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}"

( cd "$here" && make -s >/dev/null && ${SUDO:-} make -s install >/dev/null )
. "$here/scripts/lib/cluster.sh"
dir=$(mktemp -d /tmp/cognomega-bench-workers.XXXXXX)
cluster_start "$dir" "cognomega.databases = ''" \
	"cognomega.cache_sweep_interval = ${SWEEP_INTERVAL:-1}" \
	"cognomega.maintenance_interval = ${MAINTENANCE_INTERVAL:-1}" \
	"cognomega.stats_interval = ${STATS_INTERVAL:-1}" "max_connections = 50" >/dev/null
export PGDATABASE=bench

q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

createdb bench
pgbench -q -i -s "$SCALE" >/dev/null 2>&1
q >/dev/null <<'SQL'
CREATE EXTENSION cognomega;
-- something for partition_maintenance and the stats job to look at
CREATE TABLE events (id bigint, created_at timestamptz NOT NULL, payload text)
	PARTITION BY RANGE (created_at);
CREATE INDEX ON events (created_at);
SELECT cognomega.create_parent('events', 'created_at', '1 day', premake => 4,
							   start_at => now() - interval '30 days');
INSERT INTO events SELECT g, now() - g * interval '1 minute', 'x'
  FROM generate_series(1, 20000) g;
SQL

workers() {   # workers on|off: toggle, then wait until the worker is there / gone
	local list="" want=0
	# ON_LIST='' makes both sides "off": an A/A run that shows the noise
	[ "$1" = on ] && list=${ON_LIST-bench} && [ -n "$list" ] && want=1
	q -c "ALTER SYSTEM SET cognomega.databases = '$list'" -c "SELECT pg_reload_conf()" >/dev/null
	for _ in $(seq 1 100); do
		[ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'cognomega worker'")" = "$want" ] && return 0
		sleep 0.2
	done
	echo "workers did not turn $1" >&2
	return 1
}

tps() {
	pgbench -n -c "$CLIENTS" -j 2 -T "$SECONDS_PER_RUN" 2>/dev/null |
		sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}

on=(); off=()
for r in $(seq 1 "$ROUNDS"); do
	# alternate which side goes first so drift does not favour one
	if [ $((r % 2)) -eq 1 ]; then order="on off"; else order="off on"; fi
	for side in $order; do
		workers "$side"
		t=$(tps)
		if [ "$side" = on ]; then on+=("$t"); else off+=("$t"); fi
		printf 'round %d  workers %-3s  %10.1f tps\n' "$r" "$side" "$t"
	done
done

runs=$(q -c "SELECT string_agg(job || '=' || runs, ' ' ORDER BY job) FROM cognomega.job_status WHERE database = 'bench'")
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
m_on=$(median "${on[@]}")
m_off=$(median "${off[@]}")
# each round's on/off pair ran back to back: the median of the pairs'
# ratios is less sensitive to a machine whose load drifts between rounds
pairs=()
for i in "${!on[@]}"; do pairs+=("$(awk -v a="${on[$i]}" -v b="${off[$i]}" 'BEGIN { print a / b }')"); done
echo "job runs during the benchmark: $runs"
printf 'median tps: workers on %.1f, off %.1f\n' "$m_on" "$m_off"
awk -v a="$m_on" -v b="$m_off" 'BEGIN { printf "ratio of medians, workers on / off: %.3f\n", a / b }'
printf 'median of paired ratios, workers on / off: %.3f (target >= 0.97)\n' "$(median "${pairs[@]}")"
