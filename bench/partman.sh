#!/usr/bin/env bash
# Partition management: cognomega side by side with pg_partman 4.7 on
# identical parents, in one throwaway cluster, interleaved rounds.
#
#   N parents (default 10), each RANGE-partitioned on a timestamptz column
#   with an index, daily partitions from DAYS (default 180) days ago through
#   4 days ahead:
#     create    create_parent for all N parents
#     noop      run_maintenance() when nothing is due (best of 5 calls)
#     retention run_maintenance() with retention '10 days': drops most partitions
#
# Prints each phase's time per tool (median over ROUNDS rounds) and the ratio
# cognomega / pg_partman (targets: <= 0.5, and <= 0.2 for noop).  A benchmark,
# not a test: nothing here decides pass or fail.
#
# Usage (as root or the cluster owner, from the repository root):
#   bench/partman.sh            # N=10 DAYS=180 ROUNDS=3
#   N=20 DAYS=365 ROUNDS=1 bench/partman.sh
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-10}
DAYS=${DAYS:-180}
ROUNDS=${ROUNDS:-3}
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
-- wall time of one statement, in milliseconds
CREATE FUNCTION bench_ms(stmt text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
	EXECUTE stmt;
	RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
SQL

make_tables() {   # make_tables PREFIX
	q -c "DO \$\$ BEGIN FOR i IN 1..$N LOOP
		EXECUTE format('CREATE TABLE %I (id bigint, created_at timestamptz NOT NULL, payload text) PARTITION BY RANGE (created_at)', '$1' || i);
		EXECUTE format('CREATE INDEX ON %I (created_at)', '$1' || i);
	END LOOP; END \$\$"
}
drop_tables() {
	q -c "DO \$\$ DECLARE r record; BEGIN
		FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
				 WHERE n.nspname = 'public' AND c.relkind = 'p' AND c.relname ~ '^(cg|pm)[0-9]+$' LOOP
			EXECUTE format('DROP TABLE %I CASCADE', r.relname);
		END LOOP; END \$\$"
	q -c "DELETE FROM cognomega.part_config; DELETE FROM partman.part_config; DROP TABLE IF EXISTS partman.template_public_pm1 CASCADE" >/dev/null
	q -c "DO \$\$ DECLARE r record; BEGIN FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'partman' AND tablename LIKE 'template_%' LOOP EXECUTE format('DROP TABLE partman.%I', r.tablename); END LOOP; END \$\$"
}

# one statement per parent, all timed together in one transaction
cg_create="DO \$\$ BEGIN FOR i IN 1..$N LOOP PERFORM cognomega.create_parent(('cg' || i)::regclass, 'created_at', '1 day', 4, now() - interval '$DAYS days'); END LOOP; END \$\$"
pm_create="DO \$\$ BEGIN FOR i IN 1..$N LOOP PERFORM partman.create_parent('public.pm' || i, 'created_at', 'native', 'daily', p_premake := 4, p_start_partition := (now() - interval '$DAYS days')::date::text, p_jobmon := false); END LOOP; END \$\$"
cg_maint="SELECT count(*) FROM cognomega.run_maintenance()"
pm_maint="SELECT partman.run_maintenance(p_jobmon := false)"
cg_ret="UPDATE cognomega.part_config SET retention = '10 days'"
pm_ret="UPDATE partman.part_config SET retention = '10 days', retention_keep_table = false"

ms() { q -c "SELECT round(bench_ms(\$q\$$1\$q\$)::numeric, 1)"; }
best_of() { local best="" t i; for i in 1 2 3 4 5; do t=$(ms "$1"); if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi; done; echo "$best"; }

declare -A res
for r in $(seq 1 "$ROUNDS"); do
	drop_tables
	make_tables cg; make_tables pm
	# alternate who goes first
	if [ $((r % 2)) -eq 1 ]; then order="cg pm"; else order="pm cg"; fi
	for who in $order; do
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
