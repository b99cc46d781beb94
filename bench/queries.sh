#!/usr/bin/env bash
# Benchmark of the joined query functions (docs/queries.md): the user
# screen (a user with its apps) answered five ways, in interleaved rounds on
# one throwaway cluster, with pgbench -M prepared:
#
#   cached     cognomega.user_with_apps(id), result cache on
#   uncached   the same with cognomega.cache_enabled = off
#   seed       what the platform does today: users query + generated_apps query
#   join       a hand-written LEFT JOIN returning one row per app
#   stored     the same documents precomputed in a table, read by primary key
#   constant   one typical document as a constant in the plan: a statement
#              that does nothing but send that json (the ceiling of ANY
#              call returning it: no lookup, no copy, only json output)
#   trivial    SELECT :n (the floor of a round trip)
# and, for the other questions of issue 11:
#   large_cached / large_join   a user with 500 apps (~75 kB document)
#   batch50 / single50          users_with_apps with 50 ids vs. 50 single
#                               cached calls in one transaction (both cached)
#   cq_hit / cq_plain           cached_query hit on a 100-row result vs. the
#                               plain query
#
# Targets (0.3, json documents): cached >= 0.9x trivial, >= 3x join, >= 3x
# uncached.  A cached call cannot beat "constant": both send the same json
# text; cached / constant is what the call itself costs.
# Knobs (environment): QRY_USERS (5000) QRY_APPS (20 per user) QRY_ROUNDS (3)
# QRY_SECONDS (5 per run) QRY_CLIENTS (2).  Run as root from the repo root:
#   bash bench/queries.sh
set -euo pipefail
[ -n "${QRY_DEBUG:-}" ] && set -x
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
. scripts/lib/cluster.sh

users=${QRY_USERS:-5000}
apps=${QRY_APPS:-20}
rounds=${QRY_ROUNDS:-3}
seconds=${QRY_SECONDS:-5}
clients=${QRY_CLIENTS:-2}
variants=(cached uncached seed join stored constant trivial large_cached large_join
          batch50 single50 cq_hit cq_plain)

dir=$(mktemp -d /tmp/cognomega-bench-queries.XXXXXX)
chmod 755 "$dir"
cp bench/queries/*.sql "$dir/"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
cluster_start "$dir/cluster" "shared_buffers = '256MB'" "cognomega.cache_size = '256MB'" \
    "cognomega.databases = ''" "max_connections = 50"

echo "loading $users users with $apps apps each"
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
       (ARRAY['generating', 'completed', 'failed', 'draft'])[1 + k % 4],
       now() - (n * :apps + k) * interval '1 second'
  FROM generate_series(1, :users) n, generate_series(1, :apps) k;
-- the index a hand-written query for "a user's apps" deserves (all variants use it)
CREATE INDEX IF NOT EXISTS bench_generated_apps_user_id_created_at
    ON generated_apps (user_id, created_at DESC);
-- the large user (id 0): 500 apps
INSERT INTO users (id, email, subscription_tier, subscription_status, is_active, created_at)
VALUES (lpad('0', 32, '0')::uuid, 'large@example.com', 'team', 'active', true, now());
INSERT INTO generated_apps (id, user_id, title, status, created_at)
SELECT gen_random_uuid(), lpad('0', 32, '0')::uuid, 'a generated application, number ' || k,
       (ARRAY['generating', 'completed', 'failed', 'draft'])[1 + k % 4],
       now() - k * interval '1 second'
  FROM generate_series(1, 500) k;
-- cached_query's 100-row result
CREATE TABLE bench_items (id int PRIMARY KEY, grp int, v numeric, label text);
INSERT INTO bench_items SELECT g, g % 100, g * 1.5, md5(g::text) FROM generate_series(1, 10000) g;
CREATE INDEX ON bench_items (grp);
-- the documents precomputed for "stored": kept in line and uncompressed
-- (PLAIN) when they fit in a page, so reading one costs no detoasting
SET cognomega.cache_enabled = off;
CREATE UNLOGGED TABLE bench_docs (id uuid PRIMARY KEY, doc json);
SELECT CASE WHEN :apps <= 40 THEN 'PLAIN' ELSE 'MAIN' END AS storage \gset
ALTER TABLE bench_docs ALTER doc SET STORAGE :storage;
INSERT INTO bench_docs SELECT id, cognomega.user_with_apps(id) FROM users WHERE id <> lpad('0', 32, '0')::uuid;
VACUUM ANALYZE users, generated_apps, bench_docs, bench_items;
-- "constant": the document of median size, folded into the plan as a Const
SELECT format('CREATE FUNCTION bench_constant_doc() RETURNS json IMMUTABLE'
              ' LANGUAGE sql AS %L', format('SELECT %L::json', doc))
  FROM bench_docs ORDER BY pg_column_size(doc), id
 OFFSET (SELECT count(*) / 2 FROM bench_docs) LIMIT 1 \gexec
SQL

# every variant returns the same facts for a user: check once, so the
# comparison is between equal answers
psql -X -q -At -v ON_ERROR_STOP=1 <<'SQL'
SELECT CASE WHEN json_array_length(cognomega.user_with_apps(lpad(to_hex(7), 32, '0')::uuid) -> 'apps')
            = (SELECT count(*) FROM generated_apps WHERE user_id = lpad(to_hex(7), 32, '0')::uuid)
       THEN 'check: documents match the tables' ELSE 'check FAILED' END;
SELECT format('check: constant document of %s bytes as text (mean %s)',
              length(bench_constant_doc()::text),
              (SELECT round(avg(length(doc::text))) FROM bench_docs));
SELECT format('check: large document of %s bytes',
              length(cognomega.user_with_apps(lpad('0', 32, '0')::uuid)::text));
SQL
# the constant must be folded into the plan, or "constant" measures a call
psql -X -At -c 'EXPLAIN (VERBOSE, COSTS OFF) SELECT bench_constant_doc()' |
    grep -q "Output: '{" || { echo "check FAILED: bench_constant_doc() not folded"; exit 1; }

pgoptions() {    # the cache is switched off for the uncached variant only
    if [ "$1" = uncached ]; then echo "-c cognomega.cache_enabled=off"; fi
}

run_variant() {   # run_variant NAME -> prints tps
    local v=$1
    PGOPTIONS="$(pgoptions "$v")" pgbench -n -M prepared -c "$clients" -j "$clients" -T "$seconds" \
        -D users="$users" -f "$dir/$v.sql" 2>"$dir/pgbench.err" |
        sed -n "s/^tps = \([0-9.]*\) .*/\1/p" || true
}

# warm up: fills the cache and the buffers, plans every statement
for v in "${variants[@]}"; do
    PGOPTIONS="$(pgoptions "$v")" \
        pgbench -n -M prepared -c "$clients" -j "$clients" -T 1 -D users="$users" \
        -f "$dir/$v.sql" >/dev/null 2>&1 || true
done

declare -A total
for v in "${variants[@]}"; do total[$v]=0; done
for r in $(seq 1 "$rounds"); do
    line="round $r:"
    for v in "${variants[@]}"; do
        tps=$(run_variant "$v")
        [ -n "$tps" ] || { echo "pgbench failed for $v:"; cat "$dir/pgbench.err"; exit 1; }
        total[$v]=$(awk -v a="${total[$v]}" -v b="$tps" 'BEGIN { print a + b }')
        line+=$(printf ' %s=%.0f' "$v" "$tps")
    done
    echo "$line"
done

echo
printf '%-10s %12s\n' variant "tps (mean)"
for v in "${variants[@]}"; do
    printf '%-10s %12.0f\n' "$v" "$(awk -v a="${total[$v]}" -v n="$rounds" 'BEGIN { print a / n }')"
done
ratio() { awk -v a="${total[$1]}" -v b="${total[$2]}" 'BEGIN { print (b > 0 ? a / b : 0) }'; }
echo
printf 'cached / trivial  = %5.2fx   (target >= 0.9)\n' "$(ratio cached trivial)"
printf 'cached / join     = %5.2fx   (target >= 3)\n' "$(ratio cached join)"
printf 'cached / uncached = %5.2fx   (target >= 3)\n' "$(ratio cached uncached)"
printf 'cached / constant = %5.2fx   (the call vs. sending its document and nothing else)\n' "$(ratio cached constant)"
printf 'constant / trivial= %5.2fx   (the ceiling for any call returning this json)\n' "$(ratio constant trivial)"
printf 'cached / seed     = %5.2fx\n' "$(ratio cached seed)"
printf 'uncached / join   = %5.2fx\n' "$(ratio uncached join)"
printf 'cached / stored   = %5.2fx   (same document precomputed in a table)\n' "$(ratio cached stored)"
printf 'stored / trivial  = %5.2fx\n' "$(ratio stored trivial)"
printf 'large: cached / join        = %5.2fx   (a user with 500 apps)\n' "$(ratio large_cached large_join)"
printf 'batch50 / single50          = %5.2fx   (users_with_apps of 50 ids vs. 50 cached calls in a transaction)\n' "$(ratio batch50 single50)"
printf 'cached_query hit / plain    = %5.2fx   (100 rows)\n' "$(ratio cq_hit cq_plain)"
if psql -X -At -c "SELECT 1 FROM pg_views WHERE schemaname = 'cognomega' AND viewname = 'cache_stats'" | grep -q 1; then
    psql -X -At -c "SELECT 'cache: ' || hits || ' hits, ' || misses || ' misses' FROM cognomega.cache_stats"
fi
