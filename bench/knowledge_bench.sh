#!/usr/bin/env bash
# Ingestion throughput per format and HNSW vs brute-force retrieval at 10k and 100k chunks
# (dimension 384, the local embedder); prints two tables. No database needed.
#   bench/knowledge_bench.sh [max chunks, default 100000]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/setup.sh" >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d)"
"$repo/build/bin/knowledge_benchmark" "${1:-100000}"
