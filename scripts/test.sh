#!/usr/bin/env bash
# Installs, builds and runs every test against a throwaway PostgreSQL.
#   scripts/test.sh              the -Werror build
#   scripts/test.sh --sanitize   the ASan+UBSan build
# Exits with ctest's status.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir="$repo/build"
setup_args=()
if [ "${1:-}" = "--sanitize" ]; then
  build_dir="$repo/build-asan"
  setup_args=(--sanitize)
fi
"$repo/scripts/setup.sh" "${setup_args[@]}"

# Providers' official libraries (pinned in each package-lock.json) prove the fakes speak
# their wire format: `stripe` signs webhook payloads, `openai` reads the fake's answers,
# `googleapis` talks OAuth and Calendar to the fake Google.
for lib in stripe openai googleapis; do
  if [ ! -d "$repo/tests/$lib/node_modules/$lib" ]; then
    npm ci --prefix "$repo/tests/$lib" --no-audit --no-fund --loglevel=error
  fi
done

pgdir=$(mktemp -d /tmp/sloth-pg.XXXXXX)
cleanup() {
  "$repo/scripts/pg.sh" stop "$pgdir" || true
  rm -rf "$pgdir"
}
trap cleanup EXIT
# fsync off: the cluster is thrown away, and tests create many databases.
export SLOTH_TEST_DATABASE_URL=$(SLOTH_PG_FSYNC=off "$repo/scripts/pg.sh" start "$pgdir")
export SLOTH_PG_SCRIPT="$repo/scripts/pg.sh"
export SLOTH_SOURCE_DIR="$repo"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

set +e
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" --timeout 600
status=$?
exit $status
