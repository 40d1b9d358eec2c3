#!/usr/bin/env bash
# Polling integrations on one host against a throwaway PostgreSQL and the fake Telegram:
# threads, connections, polls/s and the interval between two polls of one integration.
#   bench/polling_bench.sh [integrations, default 200] [poll threads, default 16]
set -euo pipefail
source "$(dirname "$0")/with_pg.sh"
"$repo/build/bin/polling_benchmark" "$url" "${1:-200}" "${2:-16}"
