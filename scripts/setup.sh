#!/usr/bin/env bash
# Installs Sloth's build and runtime dependencies from Debian packages (idempotent) and
# builds the tree.
#   scripts/setup.sh                 install + build build/ (warnings are errors)
#   scripts/setup.sh --sanitize      install + build build-asan/ with ASan+UBSan
#   scripts/setup.sh --deps-only     install only
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  libpoco-dev libpq-dev nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev libsodium-dev libssl-dev
  libhnswlib-dev libpoppler-cpp-dev libvalijson-dev libhowardhinnant-date-dev tzdata wrk
  postgresql postgresql-contrib pgbouncer clang-format curl ca-certificates binutils
  clang libclang-rt-dev
  nodejs
)

sanitize=0
deps_only=0
for a in "$@"; do
  case "$a" in
    --sanitize) sanitize=1 ;;
    --deps-only) deps_only=1 ;;
    *) echo "setup.sh: unknown option $a" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Package lists may be absent on a fresh image, or stale: refresh once when needed.
  if ! $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/sloth-apt.log 2>&1; then
    $sudo apt-get update -qq >/tmp/sloth-apt.log 2>&1
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/sloth-apt.log 2>&1 ||
      { cat /tmp/sloth-apt.log >&2; exit 1; }
  fi
fi
# Debian's nodejs ships npm separately; NodeSource's bundles it (and conflicts with Debian's).
if ! command -v npm >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm \
    >>/tmp/sloth-apt.log 2>&1 || { cat /tmp/sloth-apt.log >&2; exit 1; }
fi
((deps_only)) && exit 0

build_dir="$repo/build"
flags=(-DSLOTH_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if ((sanitize)); then
  build_dir="$repo/build-asan"
  flags=(-DSLOTH_WERROR=ON -DSLOTH_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DSLOTH_BUILD_BENCH=OFF)
fi
# CI builds each tree once and reads only test results: full debug info is a fifth of the
# compile time there, so the -Werror build has none and the ASan build keeps line tables
# (enough for its stack traces).
if [ -n "${SLOTH_CI:-}" ]; then
  if ((sanitize)); then
    flags+=(-DCMAKE_CXX_FLAGS_DEBUG=-g1 -DCMAKE_C_FLAGS_DEBUG=-g1)
  else
    flags+=("-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -DNDEBUG")
  fi
fi
command -v ccache >/dev/null && flags+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S "$repo" -B "$build_dir" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
