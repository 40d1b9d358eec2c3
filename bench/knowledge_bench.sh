#!/usr/bin/env bash
# Ingestion throughput per format, the exact scan against memory bandwidth, retrieval from 5k
# to 100k chunks (dimension 384, the local embedder) with recall, and the largest set loaded
# after a restart from a throwaway PostgreSQL (first search, searches while the graph is
# built, time to the graph); prints four tables.
#   bench/knowledge_bench.sh [max chunks, default 100000]
set -euo pipefail
source "$(dirname "$0")/with_pg.sh"
"$repo/build/bin/knowledge_benchmark" "${1:-100000}" "$url"
