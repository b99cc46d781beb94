# Run one of the repository's scripts inside the cached Debian chroot of
# another PostgreSQL major (scripts/pg-servers chroot MAJOR makes it).
#
#   . scripts/lib/chroot.sh
#   chroot_run 17 scripts/test [VAR=value..] -- [args..]
#
# The tree is copied into the chroot's /tmp (without .git and build
# products), proc, /dev, /dev/shm and /dev/pts are mounted while it runs
# (private mounts, undone afterwards), and the script runs with a clean
# environment: PG_CONFIG set to that major's, COGNOMEGA_NO_DEPS=1 (the
# chroot has what it needs) and the VAR=value pairs given.  One run per
# chroot at a time.  Returns the script's exit status.  Needs root.

chroot_run() {
    local major=$1 script=$2; shift 2
    local vars=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do vars+=("$1"); shift; done
    [ "${1:-}" = "--" ] && shift
    local here root src rc
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    [ "$(id -u)" -eq 0 ] || { echo "the PostgreSQL $major chroot needs root" >&2; return 2; }
    "$here/scripts/pg-servers" chroot "$major" || return 1
    root=$("$here/scripts/pg-servers" path "$major")
    src="/tmp/cognomega-src.$$"
    (
        exec 9>"$root.lock"
        flock 9        # one run per chroot at a time: they share its mounts
        mounted=()
        cleanup() {
            local i
            for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null; done
            rm -rf "${root:?}$src"
        }
        trap cleanup EXIT
        mount_in() {   # mount_in TARGET mount-args..
            local target=$root$1; shift
            mountpoint -q "$target" && return 0
            mount "$@" "$target" && mounted+=("$target") && mount --make-private "$target"
        }
        mount_in /proc -t proc proc
        mount_in /dev --bind /dev
        mount_in /dev/shm --bind /dev/shm
        mount_in /dev/pts --bind /dev/pts
        rsync -a --exclude .git --exclude '*.o' --exclude '*.so' --exclude build/ \
            "$here/" "$root$src/"
        chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            HOME=/root LANG=C.UTF-8 TERM=dumb \
            PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" COGNOMEGA_NO_DEPS=1 "${vars[@]}" \
            bash "$src/$script" "$@"
    )
}
