#!/usr/bin/env bash
# Installs, builds and runs Sloth. Without DATABASE_URL it starts an embedded PostgreSQL
# cluster (kept between runs) and points the host at it. Ctrl-C stops both.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/setup.sh"

config=${SLOTH_CONFIG:-$repo/config/host.yaml}
pgdir=""
host_pid=""
cleanup() {
  trap - INT TERM EXIT
  if [ -n "$host_pid" ] && kill -0 "$host_pid" 2>/dev/null; then
    kill -TERM "$host_pid" 2>/dev/null || true
    wait "$host_pid" 2>/dev/null || true
  fi
  if [ -n "$pgdir" ]; then
    echo "run: stopping the embedded PostgreSQL"
    "$repo/scripts/pg.sh" stop "$pgdir" || true
  fi
}
trap cleanup INT TERM EXIT

if [ -z "${DATABASE_URL:-}" ] && [ -z "${SLOTH_DATABASE_URL:-}" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    pgdir=${SLOTH_PGDIR:-/var/lib/sloth/pg}  # the postgres user must be able to reach it
    mkdir -p "$(dirname "$pgdir")"
  else
    pgdir=${SLOTH_PGDIR:-$repo/.data/pg}
  fi
  admin_url=$("$repo/scripts/pg.sh" start "$pgdir")
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  if ! "$bindir/psql" "$admin_url" -tAc "SELECT 1 FROM pg_database WHERE datname = 'sloth'" | grep -q 1; then
    "$bindir/psql" "$admin_url" -qc "CREATE DATABASE sloth"
  fi
  export DATABASE_URL="postgresql:///sloth?host=$pgdir&port=${SLOTH_PG_PORT:-5432}&user=postgres"
  echo "run: embedded PostgreSQL in $pgdir"
fi

# Uploaded files (storage-local) and the development master key live under .data/.
export SLOTH_DATA_DIR=${SLOTH_DATA_DIR:-$repo/.data}
port=$(awk '/^http:/{h=1} h && /^[[:space:]]+port:/{print $2; exit}' "$config")
port=${SLOTH_HTTP_PORT:-${port:-8080}}
"$repo/build/bin/sloth-host" --config "$config" &
host_pid=$!
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1; then
    echo "run: Sloth is ready at http://localhost:$port (health /health, readiness /ready, metrics /metrics)"
    break
  fi
  kill -0 "$host_pid" 2>/dev/null || break
  sleep 0.2
done
set +e
wait "$host_pid"
status=$?
host_pid=""
exit $status
