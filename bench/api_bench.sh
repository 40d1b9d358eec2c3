#!/usr/bin/env bash
# One command, one table: the host's main routes side by side at 64 connections against a
# throwaway PostgreSQL (fsync on) with the offline plugins, each with its ratio to the host's
# own GET /health in the same run; then webhook intake and end to end (channels_benchmark)
# and retrieval per index size (knowledge_benchmark, only with a third argument).
#   bench/api_bench.sh [seconds per route, default 10] [connections, default 64]
#                      [largest index for the retrieval rows, default: skipped]
set -euo pipefail
source "$(dirname "$0")/with_pg.sh"
source "$repo/bench/bench_host.sh"
secs=${1:-10}
conns=${2:-64}
start_host "${SLOTH_BENCH_PORT:-18500}"
auth=(-H "Authorization: Bearer $token")
# Something to find: a price list, ingested before the searches and chats.
printf 'Prices\nManicure with gel polish: 650 UAH, 60 minutes.\nHaircut and styling: 800 UAH.\nPedicure: 700 UAH, 75 minutes.\n' >/tmp/sloth-bench-prices.txt
doc=$(curl -fs "${auth[@]}" -F "file=@/tmp/sloth-bench-prices.txt;type=text/plain" "$base/api/documents/upload" |
  sed -E 's/.*"id":([0-9]+).*/\1/')
for _ in $(seq 1 100); do
  curl -fs "${auth[@]}" "$base/api/documents/$doc/status" | grep -q '"status":"ready"' && break; sleep 0.2
done
lua=$(mktemp /tmp/sloth-bench-XXXXXX.lua)
post_lua() {  # body → a wrk script that POSTs it as JSON
  printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' "$1" >"$lua"
}

echo "sloth-host, wrk -t2 -c$conns -d${secs}s, PostgreSQL on the same cores"
echo
echo "| request | connections | req/s | p50 | p99 | non-2xx | of /health |"
echo "|---|---|---|---|---|---|---|"
run_wrk "GET /health (no database)" "$conns" "$base/health"; health=$rps
echo "$row 100% |"
ratio() { echo "$row $(( 100 * rps / (health > 0 ? health : 1) ))% |"; }
run_wrk "GET /api/auth/me" "$conns" "${auth[@]}" "$base/api/auth/me"; ratio
run_wrk "GET /api/subscriptions/plans" "$conns" "$base/api/subscriptions/plans"; ratio
post_lua "'{\"query\":\"how much is a gel manicure\"}'"
run_wrk "POST /api/knowledge/search" "$conns" "${auth[@]}" -s "$lua" "$base/api/knowledge/search"; ratio
post_lua "'{\"message\":\"How much is a gel manicure?\"}'"
run_wrk "POST /api/agent/chat (local plugin)" "$conns" "${auth[@]}" -s "$lua" "$base/api/agent/chat"; ratio
rm -f "$lua"
stop_host
echo
# Its own database: it signs up the same e-mail.
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
"$bindir/psql" "$url" -qc "CREATE DATABASE channels_bench"
"$repo/build/bin/channels_benchmark" "${url/\/postgres\?//channels_bench?}" 4000 8 100
if [ -n "${3:-}" ]; then echo; "$repo/build/bin/knowledge_benchmark" "$3"; fi
