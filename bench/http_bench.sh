#!/usr/bin/env bash
# HTTP benchmarks against a real host and a throwaway PostgreSQL, with wrk (Debian):
# authenticated GET /api/auth/me at 16 and 256 connections, login/s, the argon2id cost
# that bounds it, and a new client's wait while 256 idle keep-alive connections are held.
# Prints one table.   bench/http_bench.sh [seconds per wrk run, default 10]
set -euo pipefail
source "$(dirname "$0")/with_pg.sh"
source "$repo/bench/bench_host.sh"
secs=${1:-10}
port=${SLOTH_BENCH_PORT:-18500}
start_host "$port"

echo "wrk ${secs}s x 2 threads"
echo
echo "| request | connections | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
run_wrk "GET /api/auth/me (JWT)" 16 -H "Authorization: Bearer $token" "$base/api/auth/me"; echo "$row"
run_wrk "GET /api/auth/me (JWT)" 256 -H "Authorization: Bearer $token" "$base/api/auth/me"; echo "$row"
run_wrk "POST /api/auth/login" 16 -s "$repo/bench/login.lua" "$base/api/auth/login"; echo "$row"
echo
"$repo/build/bin/auth_benchmark" --benchmark_min_time=1 2>/dev/null | grep -E "^(Benchmark|-|Argon|Jwt)"
echo
"$repo/build/bin/keepalive_probe" 127.0.0.1 "$port" 256 20
