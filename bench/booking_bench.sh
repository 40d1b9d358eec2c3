#!/usr/bin/env bash
# Availability queries per second (one specialist's week with 200 bookings) and booking
# creations per second, contended (every thread on one slot) and spread, against a
# throwaway PostgreSQL; prints a table.
#   bench/booking_bench.sh [availability queries, default 2000] [threads, default 8]
set -euo pipefail
source "$(dirname "$0")/with_pg.sh"
"$repo/build/bin/booking_benchmark" "$url" "${1:-2000}" "${2:-8}"
