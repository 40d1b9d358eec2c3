#!/usr/bin/env bash
# The agent's own cost per turn (offline model) and the channel reply time at the default
# burst window, webhook and long polling, against a throwaway PostgreSQL and the fake
# Telegram; prints tables.
#   bench/agent_bench.sh [turns, default 2000] [messages per mode, default 40]
set -euo pipefail
source "$(dirname "$0")/with_pg.sh"
"$repo/build/bin/agent_benchmark" "$url" "${1:-2000}" "${2:-40}"
