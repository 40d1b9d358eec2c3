#!/usr/bin/env bash
# HTTP benchmarks against a real host and a throwaway PostgreSQL, with wrk (Debian):
# authenticated GET /api/auth/me at 16 and 256 connections, login/s, the argon2id cost
# that bounds it, and a new client's wait while 256 idle keep-alive connections are held.
# Prints one table.   bench/http_bench.sh [seconds per wrk run, default 10]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
"$repo/scripts/setup.sh" >/dev/null
command -v wrk >/dev/null || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get install -y -qq wrk >/dev/null 2>&1 || { $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk >/dev/null; }
}
pgdir=$(mktemp -d /tmp/sloth-bench-pg.XXXXXX)
host_pid=""
cleanup() {
  [ -n "$host_pid" ] && kill "$host_pid" 2>/dev/null && wait "$host_pid" 2>/dev/null
  "$repo/scripts/pg.sh" stop "$pgdir" >/dev/null || true
  rm -rf "$pgdir"
}
trap cleanup EXIT
admin=$("$repo/scripts/pg.sh" start "$pgdir")
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
"$bindir/psql" "$admin" -qc "CREATE DATABASE bench"
port=${SLOTH_BENCH_PORT:-18500}
# Limits raised so the benchmark measures the server, not the rate limiter.
DATABASE_URL="postgresql:///bench?host=$pgdir&user=postgres" SLOTH_HTTP_PORT=$port SLOTH_LOG_LEVEL=warn \
SLOTH_RATE_LIMITS_USER_PER_HOUR=100000000 SLOTH_RATE_LIMITS_ANONYMOUS_PER_HOUR=100000000 \
SLOTH_RATE_LIMITS_LOGIN_PER_MINUTE_IP=10000 SLOTH_RATE_LIMITS_LOGIN_PER_MINUTE_EMAIL=10000 \
SLOTH_DATABASE_POOL_SIZE=32 SLOTH_AUTH_JWT_SECRET=bench-secret-0123456789-abcdefghijklmn \
  "$repo/build/bin/sloth-host" --config "$repo/config/host.yaml" >/tmp/sloth-bench-host.log 2>&1 &
host_pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done
token=$(curl -fs -XPOST "http://127.0.0.1:$port/api/auth/register" \
  -d '{"email":"bench@salon.test","password":"a long passphrase 42","organization_name":"Bench"}' |
  sed -E 's/.*"access_token":"([^"]+)".*/\1/')

run_wrk() {  # label, connections, wrk args...
  local label=$1 c=$2; shift 2
  local out; out=$(wrk -t2 -c"$c" -d"${secs}s" --latency "$@")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  local non2xx; non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out"); non2xx=${non2xx:-0}
  printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$c" "$rps" "$p50" "$p99" "$non2xx"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d), wrk ${secs}s x 2 threads"
echo
echo "| request | connections | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
run_wrk "GET /api/auth/me (JWT)" 16 -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/auth/me"
run_wrk "GET /api/auth/me (JWT)" 256 -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/auth/me"
run_wrk "POST /api/auth/login" 16 -s "$repo/bench/login.lua" "http://127.0.0.1:$port/api/auth/login"
echo
"$repo/build/bin/auth_benchmark" --benchmark_min_time=1 2>/dev/null | grep -E "^(Benchmark|-|Argon|Jwt)"
echo
"$repo/build/bin/keepalive_probe" 127.0.0.1 "$port" 256 20
