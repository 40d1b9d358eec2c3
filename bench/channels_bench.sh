#!/usr/bin/env bash
# Webhook acceptance and end-to-end message throughput against a throwaway PostgreSQL and
# the fake Telegram; prints a table. Exit status 1 if any reply was lost or duplicated.
#   bench/channels_bench.sh [updates per phase, default 2000] [clients, default 8]
#                           [paced rate for the latency phase, default 100 msgs/s]
set -euo pipefail
source "$(dirname "$0")/with_pg.sh"
"$repo/build/bin/channels_benchmark" "$url" "${1:-2000}" "${2:-8}" "${3:-100}"
