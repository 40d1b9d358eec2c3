#!/usr/bin/env bash
# A private PostgreSQL cluster under one directory, reached over a unix socket in it.
#   scripts/pg.sh start DIR   initdb (first time) and start; prints the connection URL
#   scripts/pg.sh stop DIR    stop (fast shutdown)
#   scripts/pg.sh url DIR     print the connection URL
# PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` system
# user (via runuser), otherwise to the current user.
set -euo pipefail
cmd=${1:?usage: pg.sh start|stop|url DIR}
dir=${2:?usage: pg.sh start|stop|url DIR}
port=${SLOTH_PG_PORT:-5432}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url() { echo "postgresql:///postgres?host=$dir&port=$port&user=postgres"; }

case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if ! as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir -p $port -c listen_addresses='' -c max_connections=300 -c fsync=${SLOTH_PG_FSYNC:-on}" \
        start >/dev/null || { tail -n 20 "$dir/server.log" >&2; exit 1; }
    fi
    url
    ;;
  stop)
    if [ -f "$dir/data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    ;;
  url) url ;;
  *) echo "pg.sh: unknown command $cmd" >&2; exit 2 ;;
esac
