#!/usr/bin/env bash
# A throw-away PostgreSQL 15 cluster for the API tests.
#
#   tests/pg-cluster.sh start DIR   initdb a cluster in DIR/data and start it; it listens only on a
#                                   unix socket in DIR (no TCP). Prints DIR (the socket directory).
#   tests/pg-cluster.sh stop DIR    stop it and remove DIR.
#
# PostgreSQL refuses to run as root, and CI runs as root: then the cluster runs as the unprivileged
# `postgres` user (Debian's package creates it; SANAD_PG_OS_USER overrides). DIR must be reachable by
# that user, so it is created here when missing (or better, by the caller with mktemp -d under /tmp)
# and handed to it. Connect with: psql -h DIR -U postgres, or postgresql:///NAME?host=DIR&user=postgres.
set -euo pipefail

usage() {
    echo "usage: $0 start|stop DIR" >&2
    exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2

find_bindir() {
    local d
    for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return 0
        fi
    done
    if command -v pg_config >/dev/null 2>&1; then
        d=$(pg_config --bindir)
        if [ -x "$d/initdb" ]; then
            echo "$d"
            return 0
        fi
    fi
    echo "pg-cluster: PostgreSQL server binaries (initdb, pg_ctl) not found;" \
        "install Debian's postgresql package (scripts/bootstrap does)" >&2
    return 1
}

# Run a command as the cluster's owner: the postgres user when we are root, ourselves otherwise.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$os_user" -- "$@"
    else
        "$@"
    fi
}

os_user=${SANAD_PG_OS_USER:-postgres}
if [ "$(id -u)" -eq 0 ] && ! id "$os_user" >/dev/null 2>&1; then
    echo "pg-cluster: running as root but there is no '$os_user' user to run PostgreSQL as" >&2
    exit 1
fi

bindir=$(find_bindir)
data="$dir/data"
log="$dir/postgres.log"

case "$cmd" in
start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    data="$dir/data"
    log="$dir/postgres.log"
    # A unix socket path is limited to 107 bytes: DIR/.s.PGSQL.5432 must fit.
    if [ $((${#dir} + 16)) -gt 100 ]; then
        echo "pg-cluster: '$dir' is too long for a unix socket directory; use a short path under /tmp" >&2
        exit 1
    fi
    if [ -e "$data/PG_VERSION" ]; then
        echo "pg-cluster: $data already holds a cluster" >&2
        exit 1
    fi
    if [ "$(id -u)" -eq 0 ]; then
        chown "$os_user" "$dir"
        chmod 0700 "$dir"
        if ! runuser -u "$os_user" -- test -w "$dir"; then
            echo "pg-cluster: user '$os_user' cannot reach '$dir' (a parent directory is closed to it);" \
                "use a directory under /tmp" >&2
            exit 1
        fi
    fi
    # Run from a directory the owner can read, so initdb and pg_ctl do not complain about the cwd.
    cd "$dir"
    if ! as_owner "$bindir/initdb" -D "$data" -E UTF8 --locale=C.UTF-8 --auth=trust -U postgres \
        --no-sync >"$dir/initdb.log" 2>&1; then
        echo "pg-cluster: initdb failed:" >&2
        cat "$dir/initdb.log" >&2
        exit 1
    fi
    # No TCP; a socket in DIR only. Durability is not wanted for throw-away test data, but
    # benchmarks set SANAD_PG_DURABLE=1 to measure with fsync and synchronous commits on.
    durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [ "${SANAD_PG_DURABLE:-0}" = 1 ] && durability="-c fsync=on -c synchronous_commit=on"
    if ! as_owner "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir' $durability \
-c max_connections=200" \
        start >/dev/null; then
        echo "pg-cluster: pg_ctl start failed:" >&2
        cat "$log" >&2 || true
        exit 1
    fi
    # pg_ctl -w waits for the postmaster; make sure a client can really connect through the socket.
    for _ in $(seq 1 50); do
        if "$bindir/pg_isready" -q -h "$dir" -U postgres; then
            echo "$dir"
            exit 0
        fi
        sleep 0.1
    done
    echo "pg-cluster: the server started but does not accept connections on $dir:" >&2
    cat "$log" >&2 || true
    exit 1
    ;;
stop)
    if [ ! -d "$dir" ]; then
        exit 0
    fi
    dir=$(cd "$dir" && pwd)
    data="$dir/data"
    if [ -e "$data/postmaster.pid" ]; then
        (cd "$dir" && as_owner "$bindir/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1) || {
            # Last resort: the postmaster's pid is the first line of postmaster.pid.
            pid=$(head -n1 "$data/postmaster.pid" 2>/dev/null || true)
            if [ -n "$pid" ]; then
                kill -QUIT "$pid" 2>/dev/null || true
                sleep 1
            fi
        }
    fi
    rm -rf -- "$dir"
    ;;
*)
    usage
    ;;
esac
