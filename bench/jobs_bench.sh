#!/usr/bin/env bash
# Job queue throughput against a throwaway PostgreSQL; prints a table.
#   bench/jobs_bench.sh [seconds per run, default 5]
set -euo pipefail
source "$(dirname "$0")/with_pg.sh"
"$repo/build/bin/job_queue_benchmark" "$url" "${1:-5}"
