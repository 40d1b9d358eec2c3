#!/usr/bin/env bash
# Webhook acceptance and end-to-end message throughput against a throwaway PostgreSQL and
# the fake Telegram; prints a table. Exit status 1 if any reply was lost or duplicated.
#   bench/channels_bench.sh [updates per phase, default 2000] [clients, default 8]
#                           [paced rate for the latency phase, default 100 msgs/s]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/setup.sh" >/dev/null
pgdir=$(mktemp -d /tmp/sloth-bench-pg.XXXXXX)
trap '"$repo/scripts/pg.sh" stop "$pgdir" >/dev/null || true; rm -rf "$pgdir"' EXIT
url=$("$repo/scripts/pg.sh" start "$pgdir")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d); PostgreSQL $(ls /usr/lib/postgresql | sort -V | tail -n1), fsync on"
"$repo/build/bin/channels_benchmark" "$url" "${1:-2000}" "${2:-8}" "${3:-100}"
