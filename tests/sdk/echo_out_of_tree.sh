#!/usr/bin/env bash
# Installs the SDK from the build tree into a temporary prefix, builds the echo example
# against that installation only, and runs the example's own tests.
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d /tmp/sloth-echo.XXXXXX)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
# A copy outside the source tree, so nothing can be picked up from it by relative paths.
cp -r "$source/sdk/examples/echo-channel" "$work/src"
cmake -S "$work/src" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >/dev/null
cmake --build "$work/build"
test -f "$work/build/plugins/echo/plugin.json"
test -f "$work/build/plugins/echo/sloth_echo.so"
"$source/tests/sdk/check_exports.sh" "$work/build/plugins/echo/sloth_echo.so"
ctest --test-dir "$work/build" --output-on-failure
