#!/usr/bin/env bash
# An edited plugin.h (one appended byte) must fail the ABI guard with its message.
set -euo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$src/sdk/include/sloth/plugin.h" "$tmp/plugin.h"
echo "/* edited */" >> "$tmp/plugin.h"
if out=$(cmake -DHEADER="$tmp/plugin.h" -DRECORD="$src/sdk/abi/plugin.h.sha256" \
               -P "$src/sdk/cmake/SlothAbiGuard.cmake" 2>&1); then
  echo "FAIL: the guard accepted an edited header"
  exit 1
fi
grep -q "only grows" <<<"$out" || { echo "FAIL: unexpected message: $out"; exit 1; }
echo "ok: edited header refused"
