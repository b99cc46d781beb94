#!/usr/bin/env bash
# Partition management: cognomega side by side with pg_partman (4.7 on
# PostgreSQL 15, 5.x on 17 and 18) and with the floor, plain DDL, on
# identical parents, in one throwaway cluster, interleaved rounds.
#
#   N parents (default 10) per system, each RANGE-partitioned on a
#   timestamptz column with an index, daily partitions from DAYS (default
#   180) days ago through 4 days ahead, and a default partition:
#     create    create_parent for all N parents; the floor creates the same
#               partitions with CREATE TABLE ... PARTITION OF
#     noop      run_maintenance() when nothing is due (best of 5 calls)
#     retention run_maintenance() with retention '10 days': drops most partitions
#
# Prints each phase's time per system (median over ROUNDS rounds), the ratio
# cognomega / pg_partman (targets: <= 0.5, and <= 0.2 for noop) and, for
# create, the ratio cognomega / floor (target <= 1.2).  The order of the
# systems rotates every round, so none always pays the warm-up.  A
# benchmark, not a test: nothing here decides pass or fail.
#
# Usage (as root or the cluster owner, from the repository root):
#   bench/partman.sh            # N=10 DAYS=180 ROUNDS=3, on the host's 15
#   N=20 DAYS=365 ROUNDS=1 bench/partman.sh
#   bench/partman.sh --pg 17    # in the PostgreSQL 17 chroot (as root; see
#                               # scripts/pg-servers), against pg_partman 5.2
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-10}
DAYS=${DAYS:-180}
ROUNDS=${ROUNDS:-3}

if [ "${1:-}" = "--pg" ] && [ "${2:-15}" != 15 ]; then
	. "$here/scripts/lib/chroot.sh"
	chroot_run "$2" bench/partman.sh N="$N" DAYS="$DAYS" ROUNDS="$ROUNDS"
	exit $?
fi
export PG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}"

( cd "$here" && make -s >/dev/null && ${SUDO:-} make -s install >/dev/null )
. "$here/scripts/lib/cluster.sh"
dir=$(mktemp -d /tmp/cognomega-bench-partman.XXXXXX)
cluster_start "$dir" "cognomega.databases = ''" "max_locks_per_transaction = 1024" >/dev/null

q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

q <<'SQL'
CREATE EXTENSION cognomega;
CREATE SCHEMA partman;
CREATE EXTENSION pg_partman SCHEMA partman;
CREATE TABLE bench_bounds (lo timestamptz, hi timestamptz);
-- wall time of one statement, in milliseconds
CREATE FUNCTION bench_ms(stmt text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
	EXECUTE stmt;
	RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
SQL

pm_version=$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_partman'")
echo "$(q -c 'SELECT version()' | cut -d' ' -f1-2), pg_partman $pm_version"

make_tables() {   # make_tables PREFIX
	q -c "DO \$\$ BEGIN FOR i IN 1..$N LOOP
		EXECUTE format('CREATE TABLE %I (id bigint, created_at timestamptz NOT NULL, payload text) PARTITION BY RANGE (created_at)', '$1' || i);
		EXECUTE format('CREATE INDEX ON %I (created_at)', '$1' || i);
	END LOOP; END \$\$"
}
drop_tables() {
	q -c "DO \$\$ DECLARE r record; BEGIN
		FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
				 WHERE n.nspname = 'public' AND c.relkind = 'p' AND c.relname ~ '^(cg|pm|fl)[0-9]+$' LOOP
			EXECUTE format('DROP TABLE %I CASCADE', r.relname);
		END LOOP; END \$\$"
	q -c "DELETE FROM cognomega.part_config; DELETE FROM partman.part_config; DROP TABLE IF EXISTS partman.template_public_pm1 CASCADE" >/dev/null
	q -c "DO \$\$ DECLARE r record; BEGIN FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'partman' AND tablename LIKE 'template_%' LOOP EXECUTE format('DROP TABLE partman.%I', r.tablename); END LOOP; END \$\$"
}

# the floor creates the partitions cognomega's create_parent makes: their
# bounds, taken once from a scratch parent
q -c "CREATE TABLE ref1 (id bigint, created_at timestamptz NOT NULL, payload text) PARTITION BY RANGE (created_at)"
q -c "SELECT cognomega.create_parent('ref1', 'created_at', '1 day', 4, now() - interval '$DAYS days')" >/dev/null
q -c "INSERT INTO bench_bounds SELECT range_start, range_end FROM cognomega.show_partitions('ref1'); DROP TABLE ref1 CASCADE; DELETE FROM cognomega.part_config" >/dev/null

# one statement per parent, all timed together in one transaction
fl_create="DO \$\$ DECLARE b record; BEGIN FOR i IN 1..$N LOOP
	FOR b IN SELECT lo, hi FROM bench_bounds ORDER BY lo LOOP
		EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
					   'fl' || i || '_p' || to_char(b.lo AT TIME ZONE 'UTC', 'YYYYMMDD'), 'fl' || i, b.lo, b.hi);
	END LOOP;
	EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', 'fl' || i || '_default', 'fl' || i);
END LOOP; END \$\$"
cg_create="DO \$\$ BEGIN FOR i IN 1..$N LOOP PERFORM cognomega.create_parent(('cg' || i)::regclass, 'created_at', '1 day', 4, now() - interval '$DAYS days'); END LOOP; END \$\$"
if [ "${pm_version%%.*}" -ge 5 ]; then
	# 5.0 rewrote create_parent: an interval, p_type 'range' (native is the only kind)
	pm_create="DO \$\$ BEGIN FOR i IN 1..$N LOOP PERFORM partman.create_parent('public.pm' || i, 'created_at', '1 day', 'range', p_premake := 4, p_start_partition := (now() - interval '$DAYS days')::date::text, p_jobmon := false); END LOOP; END \$\$"
else
	pm_create="DO \$\$ BEGIN FOR i IN 1..$N LOOP PERFORM partman.create_parent('public.pm' || i, 'created_at', 'native', 'daily', p_premake := 4, p_start_partition := (now() - interval '$DAYS days')::date::text, p_jobmon := false); END LOOP; END \$\$"
fi
cg_maint="SELECT count(*) FROM cognomega.run_maintenance()"
pm_maint="SELECT partman.run_maintenance(p_jobmon := false)"
cg_ret="UPDATE cognomega.part_config SET retention = '10 days'"
pm_ret="UPDATE partman.part_config SET retention = '10 days', retention_keep_table = false"

ms() { q -c "SELECT round(bench_ms(\$q\$$1\$q\$)::numeric, 1)"; }
best_of() { local best="" t i; for i in 1 2 3 4 5; do t=$(ms "$1"); if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi; done; echo "$best"; }

declare -A res
for r in $(seq 1 "$ROUNDS"); do
	drop_tables
	make_tables cg; make_tables pm; make_tables fl
	# rotate who goes first
	case $((r % 3)) in
		1) order="cg pm"; forder="fl cg pm" ;;
		2) order="pm cg"; forder="pm fl cg" ;;
		0) order="cg pm"; forder="cg pm fl" ;;
	esac
	for who in $forder; do
		v=${who}_create; res[$who,create,$r]=$(ms "${!v}")
	done
	for who in $order; do
		v=${who}_maint; ms "${!v}" >/dev/null   # settle: first run may have work
		res[$who,noop,$r]=$(best_of "${!v}")
	done
	q -c "$cg_ret" >/dev/null; q -c "$pm_ret" >/dev/null
	for who in $order; do
		v=${who}_maint; res[$who,retention,$r]=$(ms "${!v}")
	done
	cg_left=$(q -c "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent WHERE c.relname ~ '^cg[0-9]+$'")
	pm_left=$(q -c "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent WHERE c.relname ~ '^pm[0-9]+$'")
	echo "round $r: partitions left after retention: cognomega $cg_left, pg_partman $pm_left"
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo
echo "N=$N parents x $DAYS daily partitions, $ROUNDS rounds (median ms)"
printf '%-10s %12s %12s %8s %8s\n' phase cognomega pg_partman ratio target
for phase in create noop retention; do
	cg=(); pm=()
	for r in $(seq 1 "$ROUNDS"); do cg+=("${res[cg,$phase,$r]}"); pm+=("${res[pm,$phase,$r]}"); done
	c=$(median "${cg[@]}"); p=$(median "${pm[@]}")
	target=0.5; [ "$phase" = noop ] && target=0.2
	printf '%-10s %12s %12s %8s %8s\n' "$phase" "$c" "$p" "$(awk "BEGIN{printf \"%.3f\", $c/$p}")" "$target"
done
fl=(); cg=(); pm=()
for r in $(seq 1 "$ROUNDS"); do fl+=("${res[fl,create,$r]}"); cg+=("${res[cg,create,$r]}"); pm+=("${res[pm,create,$r]}"); done
f=$(median "${fl[@]}"); c=$(median "${cg[@]}"); p=$(median "${pm[@]}")
echo
echo "create against the floor (plain CREATE TABLE ... PARTITION OF: $f ms)"
printf '%-10s %8s %8s\n' system ratio target
printf '%-10s %8s %8s\n' cognomega "$(awk "BEGIN{printf \"%.2f\", $c/$f}")" 1.2
printf '%-10s %8s %8s\n' pg_partman "$(awk "BEGIN{printf \"%.2f\", $p/$f}")" -
