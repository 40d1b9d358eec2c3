#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/) with clang and runs each for a while from its
# committed seeds (fuzz/corpus/<harness>/); new inputs go to build-fuzz/corpus/<harness>/.
# A crash leaves crash-* in build-fuzz/ and fails the script.
#   scripts/fuzz.sh [seconds per harness, default 60] [harness...]
# CI runs it briefly; run it for longer (scripts/fuzz.sh 3600) before a release.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
build="$repo/build-fuzz"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
CXX=clang++ cmake -S "$repo/fuzz" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug "${launcher[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)"
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  harnesses=(telegram_update whatsapp_notification stripe_event multipart_upload office_extraction
             chunker host_config cron router json_body)
fi
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$build"
for h in "${harnesses[@]}"; do
  mkdir -p "corpus/$h"
  echo "fuzz: $h for ${seconds}s"
  "./fuzz_$h" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
    -print_final_stats=1 "corpus/$h" "$repo/fuzz/corpus/$h" 2>"$h.log" \
    || { tail -n 60 "$h.log"; echo "fuzz: $h FAILED (input in $build)"; exit 1; }
  grep -E "stat::number_of_executed_units|stat::new_units_added" "$h.log" | tr '\n' ' '
  echo
done
