# Throwaway PostgreSQL clusters for the demo and the benchmarks.
#
#   . scripts/lib/cluster.sh
#   cluster_start /tmp/somewhere "cognomega.cache_size = '128MB'" ...
#   psql -c 'select 1'            # PGHOST/PGPORT/PGUSER/PGDATABASE are set
#   cluster_stop                  # also done on exit
#
# The cluster runs as the postgres user when the caller is root (initdb
# refuses root), listens only on a Unix socket in its own directory, trusts
# local connections, and preloads cognomega.  Extra arguments are appended
# to postgresql.conf, one line each.

PG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}"
PGBIN="$("$PG_CONFIG" --bindir)"
export PATH="$PGBIN:$PATH"

cluster_as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cluster_free_port() {
    local p=${1:-55432}
    while "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$p" >/dev/null 2>&1 ||
          [ -e "/tmp/.s.PGSQL.$p" ] || ss -ltn 2>/dev/null | grep -q ":$p "; do
        p=$((p + 1))
    done
    echo "$p"
}

cluster_start() {
    local dir=$1; shift
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    cluster_as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust \
        --no-locale -E UTF8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; return 1; }
    local port; port=$(cluster_free_port "${CLUSTER_PORT:-55432}")
    {
        echo "port = $port"
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$dir'"
        echo "shared_preload_libraries = 'cognomega'"
        echo "max_prepared_transactions = 10"
        echo "fsync = off"
        local line
        for line in "$@"; do echo "$line"; done
    } >>"$dir/data/postgresql.conf"
    chown postgres: "$dir/data/postgresql.conf" 2>/dev/null || true
    cluster_as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null ||
        { tail -n 30 "$dir/server.log"; return 1; }
    export PGHOST="$dir" PGPORT="$port" PGUSER=postgres PGDATABASE=postgres
    COGNOMEGA_CLUSTER_DIR="$dir"
    trap cluster_stop EXIT
}

cluster_stop() {
    [ -n "${COGNOMEGA_CLUSTER_DIR:-}" ] || return 0
    cluster_as_owner "$PGBIN/pg_ctl" -D "$COGNOMEGA_CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    COGNOMEGA_CLUSTER_DIR=""
}
