#!/usr/bin/env bash
# cognomega on Citus (issue 17): a coordinator and two workers on this
# machine (Citus built by scripts/citus-build), the platform distributed by
# cognomega.distribute(), 2000 users with 5 apps each.  pgbench (simple
# protocol, the user id a constant so that Citus routes the call), 4
# clients, four runs:
#   coordinator  cached    SELECT cognomega.user_with_apps('<id>') through
#                          the coordinator: Citus delegates the call to the
#                          worker holding the user, served from its cache
#   coordinator  join      the same document as a hand-written query through
#                          the coordinator (routed to that worker, uncached)
#   worker       cached    the call on the worker holding the user
#   worker       join      the query on that worker
# Each transaction first picks a random user from a local table of ids
# (the users of that worker for the worker runs), the same for both.
# Prints tps and the ratios cached / join.  A benchmark: nothing passes or
# fails.  Knobs: CITUS_BENCH_SECONDS (10).  Run as root from the repo root
# after make install, with PG_CONFIG naming a server you may install Citus
# into (scripts/citus-build installs it there; bench/run runs this one only
# when named: bench/run citus).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
. scripts/lib/cluster.sh
secs=${CITUS_BENCH_SECONDS:-10}
scripts/citus-build >/dev/null

dir=$(mktemp -d /tmp/cognomega-bench-citus.XXXXXX)
chmod 755 "$dir"
cp bench/citus/*.sql "$dir/"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
ports=()
stop_all() {
    for n in coord w1 w2; do
        [ -f "$dir/$n/data/postmaster.pid" ] &&
            cluster_as_owner "$PGBIN/pg_ctl" -D "$dir/$n/data" -m fast -w stop >/dev/null 2>&1
    done
    rm -rf "$dir"
}
trap stop_all EXIT
port=55600
for n in coord w1 w2; do
    mkdir -p "$dir/$n"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/$n"
    cluster_as_owner "$PGBIN/initdb" -D "$dir/$n/data" -U postgres -A trust --no-locale -E UTF8 >/dev/null
    port=$(cluster_free_port $((port + 1)))
    ports+=("$port")
    cat >>"$dir/$n/data/postgresql.conf" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$dir/$n'
shared_preload_libraries = 'citus,cognomega'
citus.node_conninfo = 'sslmode=disable'
cognomega.databases = ''
cognomega.cache_size = '64MB'
shared_buffers = '128MB'
max_connections = 60
max_prepared_transactions = 20
fsync = off
synchronous_commit = off
CONF
    cluster_as_owner "$PGBIN/pg_ctl" -D "$dir/$n/data" -l "$dir/$n/server.log" -w start >/dev/null
done
node() { case $1 in coord) echo 0 ;; w1) echo 1 ;; w2) echo 2 ;; esac; }
sql() { local n=$1; shift; psql -X -q -At -v ON_ERROR_STOP=1 -h "$dir/$n" -p "${ports[$(node "$n")]}" -U postgres postgres "$@"; }

for n in coord w1 w2; do
    sql "$n" -c "SET client_min_messages = warning; CREATE EXTENSION citus; CREATE EXTENSION cognomega;"
done
sql coord -c "SELECT citus_set_coordinator_host('$dir/coord', ${ports[0]})" >/dev/null
sql coord -c "SELECT citus_add_node('$dir/w1', ${ports[1]})" >/dev/null
sql coord -c "SELECT citus_add_node('$dir/w2', ${ports[2]})" >/dev/null
sql coord <<'SQL' >/dev/null
SET client_min_messages = warning;
SELECT count(*) FROM cognomega.setup('public');
INSERT INTO users (id, email)
SELECT lpad(to_hex(n), 32, '0')::uuid, 'user' || n || '@example.com' FROM generate_series(1, 2000) n;
INSERT INTO generated_apps (user_id, title, status, created_at)
SELECT lpad(to_hex(n), 32, '0')::uuid, 'app ' || n || '.' || k, 'completed',
       now() - (n * 5 + k) * interval '1 second'
  FROM generate_series(1, 2000) n, generate_series(1, 5) k;
SELECT count(*) FROM cognomega.distribute();
CREATE TABLE bench_ids AS SELECT row_number() OVER (ORDER BY id) AS i, id FROM users;
SQL
# the users worker 1 holds
ids=$(sql coord -c "SELECT string_agg(format('(%s, %L)', i, id), ',') FROM (
    SELECT row_number() OVER (ORDER BY b.id) AS i, b.id FROM bench_ids b
     WHERE (SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid)
             WHERE p.shardid = get_shard_id_for_distribution_column('users', b.id)) = ${ports[1]}) s")
sql w1 -c "CREATE TABLE bench_ids (i bigint, id uuid); INSERT INTO bench_ids VALUES $ids; ANALYZE bench_ids"
nall=$(sql coord -c "SELECT count(*) FROM bench_ids")
nw1=$(sql w1 -c "SELECT count(*) FROM bench_ids")

run() {   # run NODE SCRIPT NIDS: tps
    local n=$1 s=$2 k=$3
    # warm the plans and (for the cached runs) the cache
    pgbench -n -c 4 -j 2 -t 300 -D nids="$k" -h "$dir/$n" -p "${ports[$(node "$n")]}" -U postgres \
        -f "$dir/$s.sql" postgres >/dev/null 2>&1
    pgbench -n -c 4 -j 2 -T "$secs" -D nids="$k" -h "$dir/$n" -p "${ports[$(node "$n")]}" -U postgres \
        -f "$dir/$s.sql" postgres 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
cc=$(run coord cached "$nall"); cj=$(run coord join "$nall")
wc=$(run w1 cached "$nw1"); wj=$(run w1 join "$nw1")
hits=$(sql w1 -c "SELECT round(hit_ratio::numeric, 2) FROM cognomega.cache_stats")
echo "user_with_apps on Citus (2 workers, 2000 users x 5 apps, 4 clients, ${secs}s per run)"
printf '%-34s %10s\n' "run" "tps"
printf '%-34s %10.0f\n' "coordinator: cached (routed call)" "$cc" "coordinator: hand-written join" "$cj" \
    "worker holding the user: cached" "$wc" "worker holding the user: join" "$wj"
echo "ratio cached / join through the coordinator: $(echo "scale=2; $cc / $cj" | bc)"
echo "ratio cached / join on the worker:          $(echo "scale=2; $wc / $wj" | bc)"
echo "worker 1 cache hit ratio: $hits"
