#!/usr/bin/env bash
# Builds and runs every benchmark; prints one table per benchmark binary.
#   bench/run.sh [google-benchmark flags, e.g. --benchmark_repetitions=5]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/setup.sh" >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d)"
"$repo/build/bin/abi_call_benchmark" --benchmark_min_time=0.5 "$@"
