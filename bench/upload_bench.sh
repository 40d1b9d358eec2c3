#!/usr/bin/env bash
# Document uploads over HTTP into storage-local against a throwaway PostgreSQL: aggregate
# MB/s and the host's peak memory growth at 1, 2, 4, 8 concurrent uploads; prints a table.
#   bench/upload_bench.sh [MB per upload, default 20] [max concurrency, default 8]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/setup.sh" >/dev/null
pgdir=$(mktemp -d /tmp/sloth-bench-pg.XXXXXX)
trap '"$repo/scripts/pg.sh" stop "$pgdir" >/dev/null || true; rm -rf "$pgdir"' EXIT
url=$("$repo/scripts/pg.sh" start "$pgdir")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d); PostgreSQL $(ls /usr/lib/postgresql | sort -V | tail -n1), fsync on"
"$repo/build/bin/upload_benchmark" "$url" "${1:-20}" "${2:-8}"
