# Sourced by the HTTP benchmarks after with_pg.sh: starts one sloth-host on the throwaway
# database with the rate limits raised (the benchmark measures the server, not the limiter),
# signs up one organisation and defines run_wrk, which prints one table row.
#   start_host PORT [extra VAR=value ...]   sets $base, $token, $host_pid
# SLOTH_BENCH_HOST_BIN runs another build of sloth-host (an earlier commit's, for a before and
# after in one sitting).
command -v wrk >/dev/null || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get install -y -qq wrk >/dev/null 2>&1 || { $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk >/dev/null; }
}
host_pid=""
stop_host() {
  if [ -n "$host_pid" ]; then kill "$host_pid" 2>/dev/null || true; wait "$host_pid" 2>/dev/null || true; fi
  host_pid=""
}
trap 'stop_host; "$repo/scripts/pg.sh" stop "$pgdir" >/dev/null || true; rm -rf "$pgdir"' EXIT

start_host() {
  local port=$1; shift
  base="http://127.0.0.1:$port"
  env DATABASE_URL="$url" SLOTH_HTTP_PORT="$port" SLOTH_LOG_LEVEL=warn \
    SLOTH_RATE_LIMITS_USER_PER_HOUR=100000000 SLOTH_RATE_LIMITS_ANONYMOUS_PER_HOUR=100000000 \
    SLOTH_RATE_LIMITS_LOGIN_PER_MINUTE_IP=10000 SLOTH_RATE_LIMITS_LOGIN_PER_MINUTE_EMAIL=10000 \
    SLOTH_PLUGINS_MAX_CALLS_PER_TENANT=1000 SLOTH_DATABASE_POOL_SIZE=32 \
    SLOTH_AUTH_JWT_SECRET=bench-secret-0123456789-abcdefghijklmn "$@" \
    "${SLOTH_BENCH_HOST_BIN:-$repo/build/bin/sloth-host}" --config "$repo/config/host.yaml" >/tmp/sloth-bench-host.log 2>&1 &
  host_pid=$!
  for _ in $(seq 1 150); do curl -fs "$base/ready" >/dev/null && break; sleep 0.2; done
  token=$(curl -fs -XPOST "$base/api/auth/register" \
    -d '{"email":"bench@salon.test","password":"a long passphrase 42","organization_name":"Bench"}' |
    sed -E 's/.*"access_token":"([^"]+)".*/\1/')
}

# run_wrk LABEL CONNECTIONS wrk-args...: "| label | c | req/s | p50 | p99 | non-2xx |", and
# the req/s in $rps for ratios. Each route is first driven for 2 s unrecorded, so the row
# measures the steady state, not the host opening its pooled connections, preparing its
# statements and starting HTTP threads (that start-up put seconds into p99 otherwise).
run_wrk() {
  local label=$1 c=$2; shift 2
  wrk -t2 -c"$c" -d2s "$@" >/dev/null
  local out; out=$(wrk -t2 -c"$c" -d"${secs}s" --latency "$@")
  local p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {printf "%d", $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out"); non2xx=${non2xx:-0}
  row="| $label | $c | $rps | $p50 | $p99 | $non2xx |"
}
