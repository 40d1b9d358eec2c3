#!/usr/bin/env bash
# Job queue throughput against a throwaway PostgreSQL; prints a table.
#   bench/jobs_bench.sh [seconds per run, default 5]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/setup.sh" >/dev/null
pgdir=$(mktemp -d /tmp/sloth-bench-pg.XXXXXX)
trap '"$repo/scripts/pg.sh" stop "$pgdir" >/dev/null || true; rm -rf "$pgdir"' EXIT
url=$("$repo/scripts/pg.sh" start "$pgdir")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d); PostgreSQL $(ls /usr/lib/postgresql | sort -V | tail -n1), fsync on"
"$repo/build/bin/job_queue_benchmark" "$url" "${1:-5}"
