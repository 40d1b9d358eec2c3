#!/usr/bin/env bash
# Document uploads over HTTP into storage-local against a throwaway PostgreSQL: aggregate
# MB/s and the host's peak memory growth at 1, 2, 4, 8 concurrent uploads; prints a table.
#   bench/upload_bench.sh [MB per upload, default 20] [max concurrency, default 8]
set -euo pipefail
source "$(dirname "$0")/with_pg.sh"
"$repo/build/bin/upload_benchmark" "$url" "${1:-20}" "${2:-8}"
