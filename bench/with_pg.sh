# Sourced by the benchmarks that need a database: builds (scripts/setup.sh), starts a
# throwaway PostgreSQL cluster removed on exit, sets $repo and $url, and prints the machine.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh" >/dev/null
pgdir=$(mktemp -d /tmp/sloth-bench-pg.XXXXXX)
trap '"$repo/scripts/pg.sh" stop "$pgdir" >/dev/null || true; rm -rf "$pgdir"' EXIT
url=$("$repo/scripts/pg.sh" start "$pgdir")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d); PostgreSQL $(ls /usr/lib/postgresql | sort -V | tail -n1), fsync on"
