#!/usr/bin/env bash
# The result cache on a hot standby (cognomega.replica_invalidation, issue
# 15), on throwaway clusters with pgbench -M prepared, interleaved rounds:
#
#   primary   write-heavy pgbench (built-in tpcb-like) with the setting on
#             vs. off (a restart between: PGC_POSTMASTER): tps and WAL bytes
#             per transaction (full_page_writes off: the page images
#             after each restart's checkpoint would drown the record's bytes);
#             and the backends' CPU time per transaction (steadier than tps
#             on a shared machine), and the time of a one-row commit in a
#             procedure (the record's own cost); target on/off tps >= 0.97
#   standby   cognomega.user_with_apps(id) on a streaming standby, cached
#             vs. cognomega.cache_enabled = off; target >= 3x
#
# Knobs (environment): REP_USERS (5000) REP_APPS (20 per user) REP_ROUNDS (5)
# REP_SECONDS (5 per run) REP_CLIENTS (2) REP_SCALE (10, pgbench -s)
# REP_FSYNC (off: the CPU-bound worst case, where the record weighs most;
# on: commits wait for the disk, which on a shared machine makes the paired
# ratios swing far more than the record costs).  Run
# from the repo root after `make install` (bench/run does both).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
. scripts/lib/cluster.sh

users=${REP_USERS:-5000}
apps=${REP_APPS:-20}
rounds=${REP_ROUNDS:-5}
secs=${REP_SECONDS:-5}
clients=${REP_CLIENTS:-2}
scale=${REP_SCALE:-10}
fsync=${REP_FSYNC:-off}

dir=$(mktemp -d /tmp/cognomega-bench-replica.XXXXXX)
chmod 755 "$dir"
cp bench/queries/cached.sql bench/queries/uncached.sql "$dir/"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
cluster_start "$dir/primary" "shared_buffers = '256MB'" "cognomega.cache_size = '128MB'" \
    "cognomega.databases = ''" "max_connections = 50" "wal_level = replica" \
    "max_wal_senders = 4" "cognomega.replica_invalidation = on" "full_page_writes = off" \
    "fsync = $fsync"
primary_conf="$dir/primary/data/postgresql.conf"
standby_dir="$dir/standby"

stop_standby() {
    [ -d "$standby_dir/data" ] &&
        cluster_as_owner "$PGBIN/pg_ctl" -D "$standby_dir/data" -m fast -w stop >/dev/null 2>&1
    cluster_stop
}
trap stop_standby EXIT

echo "loading $users users with $apps apps each, pgbench scale $scale"
psql -X -q -v ON_ERROR_STOP=1 -v users="$users" -v apps="$apps" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION cognomega;
SELECT count(*) FROM cognomega.setup('public') \g /dev/null
INSERT INTO users (id, email, subscription_tier, subscription_status, is_active, created_at)
SELECT lpad(to_hex(n), 32, '0')::uuid, 'user' || n || '@example.com',
       (ARRAY['free', 'pro', 'team'])[1 + n % 3], 'active', true,
       now() - n * interval '1 minute'
  FROM generate_series(1, :users) n;
INSERT INTO generated_apps (id, user_id, title, status, created_at)
SELECT gen_random_uuid(), lpad(to_hex(n), 32, '0')::uuid, 'app ' || n || '.' || k,
       (ARRAY['generating', 'completed', 'failed'])[1 + k % 3],
       now() - (n * 60 + k) * interval '1 second'
  FROM generate_series(1, :users) n, generate_series(1, :apps) k;
ANALYZE;
SQL
pgbench -i -q -s "$scale" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE bench_one (id int PRIMARY KEY, v int);
INSERT INTO bench_one VALUES (1, 0);
CREATE PROCEDURE bench_commits(n int) LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..n LOOP
        UPDATE bench_one SET v = v + 1 WHERE id = 1;
        COMMIT;
    END LOOP;
END $$;
SQL

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END{m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.2f", m}'; }
declare -A val
add() { val[$1]="${val[$1]:-} $2"; }
ratio() {
    paste <(echo ${val[$1]} | tr ' ' '\n') <(echo ${val[$2]} | tr ' ' '\n') |
        awk '{printf "%s ", $1/$2}' | median
}

# ---- the primary: write-heavy tps and WAL bytes, setting on vs. off
set_primary() {
    sed -i '/^cognomega.replica_invalidation/d' "$primary_conf"
    echo "cognomega.replica_invalidation = $1" >>"$primary_conf"
    cluster_as_owner "$PGBIN/pg_ctl" -D "$dir/primary/data" -l "$dir/primary/server.log" \
        -w restart >/dev/null
}
# CPU time (clock ticks) of the postmaster's exited children: the backends
# of finished pgbench runs.  Less sensitive to a busy machine than tps.
children_cpu() {
    awk '{print $16 + $17}' "/proc/$(head -n 1 "$dir/primary/data/postmaster.pid")/stat"
}
# tps, WAL bytes and backend CPU microseconds per transaction of one
# tpcb-like run
write_run() {
    local lsn0 lsn1 out tps xacts cpu0 cpu1
    lsn0=$(psql -X -At -c 'SELECT pg_current_wal_insert_lsn()')
    sleep 0.5; cpu0=$(children_cpu)
    out=$(pgbench -n -M prepared -b tpcb-like -c "$clients" -j "$clients" -T "$secs" 2>/dev/null)
    sleep 0.5; cpu1=$(children_cpu)
    lsn1=$(psql -X -At -c 'SELECT pg_current_wal_insert_lsn()')
    tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
    xacts=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
    echo "$tps $(psql -X -At -c "SELECT round(pg_wal_lsn_diff('$lsn1', '$lsn0') / $xacts)")" \
        "$(( (cpu1 - cpu0) * 1000000 / $(getconf CLK_TCK) / xacts ))"
}
# microseconds per commit of a one-row UPDATE in one backend (a procedure
# committing 20000 times: no client round trip, the record's cost alone)
commit_run() {
    psql -X -q -c 'CALL bench_commits(2000)'
    psql -X -q -At -c 'SELECT extract(epoch FROM clock_timestamp()) * 1e6' \
        -c 'CALL bench_commits(20000)' -c 'SELECT extract(epoch FROM clock_timestamp()) * 1e6' |
        awk 'NR == 1 {a = $1} NR == 2 {b = $1} END {printf "%.3f", (b - a) / 20000}'
}
for r in $(seq 1 "$rounds"); do
    # on, off in odd rounds, off, on in even ones: drift hits both alike
    modes="on off"; [ $((r % 2)) -eq 0 ] && modes="off on"
    for mode in $modes; do
        set_primary "$mode"
        read -r t w c < <(write_run)
        add "tps_$mode" "$t"; add "wal_$mode" "$w"; add "cpu_$mode" "$c"
        add "commit_$mode" "$(commit_run)"
    done
    echo "primary round $r done" >&2
done
set_primary on

# ---- a streaming standby: cached vs. uncached user_with_apps
mkdir -p "$standby_dir"
[ "$(id -u)" -eq 0 ] && chown postgres: "$standby_dir"
cluster_as_owner "$PGBIN/pg_basebackup" -D "$standby_dir/data" -R -X stream --checkpoint fast
sport=$(cluster_free_port $((PGPORT + 1)))
{
    echo "port = $sport"
    echo "unix_socket_directories = '$standby_dir'"
} >>"$standby_dir/data/postgresql.conf"
cluster_as_owner "$PGBIN/pg_ctl" -D "$standby_dir/data" -l "$standby_dir/server.log" -w start >/dev/null
# a record replayed after the standby's start lets it serve
psql -X -q -c "UPDATE users SET is_active = true WHERE id = lpad(to_hex(1), 32, '0')::uuid"
target=$(psql -X -At -c 'SELECT pg_current_wal_insert_lsn()')
until [ "$(psql -X -At -h "$standby_dir" -p "$sport" -c \
        "SELECT pg_last_wal_replay_lsn() >= '$target'")" = t ]; do sleep 0.2; done

standby_run() {
    PGHOST="$standby_dir" PGPORT="$sport" PGOPTIONS="${2:-}" \
        pgbench -n -M prepared -c "$clients" -j "$clients" -T "$secs" -D users="$users" \
        -f "$dir/$1" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
standby_run cached.sql >/dev/null        # warm the entries and plans
for r in $(seq 1 "$rounds"); do
    add cached "$(standby_run cached.sql)"
    add uncached "$(standby_run uncached.sql '-c cognomega.cache_enabled=off')"
    echo "standby round $r done" >&2
done
stats=$(psql -X -At -h "$standby_dir" -p "$sport" -c \
    "SELECT hits, misses, round(hit_ratio::numeric, 4) FROM cognomega.cache_stats")

echo "replica bench: $rounds rounds x ${secs}s, $clients clients, pgbench -M prepared (medians), fsync = $fsync"
printf '  %-52s %10s\n' \
    "primary tpcb-like tps, replica_invalidation = on" "$(echo ${val[tps_on]} | median)" \
    "primary tpcb-like tps, replica_invalidation = off" "$(echo ${val[tps_off]} | median)" \
    "WAL bytes per transaction, on" "$(echo ${val[wal_on]} | median)" \
    "WAL bytes per transaction, off" "$(echo ${val[wal_off]} | median)" \
    "backend CPU us per transaction, on" "$(echo ${val[cpu_on]} | median)" \
    "backend CPU us per transaction, off" "$(echo ${val[cpu_off]} | median)" \
    "us per one-row commit in a procedure, on" "$(echo ${val[commit_on]} | median)" \
    "us per one-row commit in a procedure, off" "$(echo ${val[commit_off]} | median)" \
    "standby user_with_apps tps, cached" "$(echo ${val[cached]} | median)" \
    "standby user_with_apps tps, cache_enabled = off" "$(echo ${val[uncached]} | median)"
echo "ratios:"
echo "  primary tps on / off                    = $(ratio tps_on tps_off)  (target >= 0.97)"
echo "    per round: $(paste <(echo ${val[tps_on]} | tr ' ' '\n') <(echo ${val[tps_off]} | tr ' ' '\n') |
    awk 'NF == 2 {printf "%.2f ", $1/$2}')"
echo "  primary WAL bytes on / off              = $(ratio wal_on wal_off)"
echo "  primary backend CPU per xact on / off   = $(ratio cpu_on cpu_off)"
echo "  one-row commit time on / off            = $(ratio commit_on commit_off)"
echo "  standby cached / uncached user_with_apps = $(ratio cached uncached)  (target >= 3)"
echo "  standby hits|misses|hit_ratio: $stats"
