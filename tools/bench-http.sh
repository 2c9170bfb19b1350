#!/usr/bin/env bash
# Load run of the HTTP API (a benchmark, not a test): starts a node whose pool
# of 1,000 servers is reconciling on the simulated cloud, then runs wrk for
# 10 s against GET /v1/pools and for 10 s against GET /metrics with the
# bearer token, and prints requests/s, p99 latency and errors. Exits 1 if any
# request failed (non-2xx or socket error).
#
#   tools/bench-http.sh [BUILD_DIR]     (default: build)
#
# Environment: BENCH_SERVERS (1000), BENCH_SECONDS (10), BENCH_CONNECTIONS
# (32), BENCH_THREADS (2).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-${DYNSERV_BUILD_DIR:-$root/build}}
dynserv=$build_dir/tools/dynserv
servers=${BENCH_SERVERS:-1000}
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}

command -v wrk >/dev/null || {
  echo "bench-http: wrk not found (apt-get install wrk)" >&2; exit 2; }
command -v curl >/dev/null || {
  echo "bench-http: curl not found (apt-get install curl)" >&2; exit 2; }
[ -x "$dynserv" ] || {
  echo "bench-http: $dynserv not built (tools/setup.sh build)" >&2; exit 2; }

work=$(mktemp -d /tmp/dynserv-bench-http-XXXXXX)
node_pid=
cleanup() {
  if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM "$node_pid"
    wait "$node_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
# Servers take 20 s to come up (plus polls), so both runs see them moving.
cat >"$work/node.json" <<EOF
{
  "node": { "name": "bench-http", "data_dir": "$work/data",
            "reconcile_interval": "1s", "log_level": "warn" },
  "limits": { "max_servers": $servers },
  "timing": { "poll_interval": "500ms" },
  "admin": { "listen": "off" },
  "http": { "listen": "127.0.0.1:0", "token_env": "DYNSERV_BENCH_TOKEN" },
  "providers": {
    "sim": { "type": "simulated", "create_time": "20s", "start_time": "5s",
             "stop_time": "2s", "delete_time": "2s", "reboot_time": "5s" }
  },
  "pools": {
    "bench": { "provider": "sim", "desired": $servers, "min": 0,
               "max": $servers }
  }
}
EOF

cat >"$work/auth.lua" <<'EOF'
-- Adds the bearer token and prints one machine-readable summary line.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("DYNSERV_BENCH_TOKEN")

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f " ..
    "non2xx=%d connect=%d read=%d write=%d timeout=%d bytes=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.status, e.connect, e.read, e.write, e.timeout,
    summary.bytes))
end
EOF

export DYNSERV_BENCH_TOKEN=$token
"$dynserv" run --config "$work/node.json" >"$work/node.log" 2>&1 &
node_pid=$!

deadline=$((SECONDS + 30))
until [ -s "$work/data/http.addr" ]; do
  kill -0 "$node_pid" 2>/dev/null || {
    echo "bench-http: dynserv exited:" >&2; cat "$work/node.log" >&2; exit 1; }
  [ $SECONDS -lt $deadline ] || {
    echo "bench-http: no http.addr after 30 s" >&2; exit 1; }
  sleep 0.1
done
addr=$(head -n1 "$work/data/http.addr")
base="http://$addr"

pools() {
  curl -sf -H "Authorization: Bearer $token" "$base/v1/pools"
}
# Counts of the pool as "status=n ..." (non-zero only).
counts() {
  pools | grep -o '"counts":{[^}]*}' | tr -d '"{}' | sed 's/counts://' \
    | tr ',' '\n' | awk -F: '$2 > 0 { printf "%s=%s ", $1, $2 }'
}
total() {
  pools | grep -o '"counts":{[^}]*}' | grep -o ':[0-9]*' | tr -d ':' \
    | awk '{ n += $1 } END { print n + 0 }'
}

deadline=$((SECONDS + 60))
until [ "$(total)" -ge "$servers" ]; do
  [ $SECONDS -lt $deadline ] || {
    echo "bench-http: the pool did not reach $servers servers" >&2; exit 1; }
  sleep 0.2
done

failed=0
run() {
  local path=$1
  echo "== GET $path  (wrk -t$threads -c$connections -d${seconds}s; servers: $(counts))"
  local out
  out=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency \
          -s "$work/auth.lua" "$base$path")
  local line
  line=$(grep '^RESULT' <<<"$out" | sed 's/^RESULT //')
  echo "   $line"
  # Every request must succeed: no non-2xx answers, no socket errors.
  local bad
  bad=$(tr ' ' '\n' <<<"$line" \
          | awk -F= '$1 ~ /^(non2xx|connect|read|write|timeout)$/ { n += $2 }
                     END { print n + 0 }')
  if [ "$bad" -ne 0 ]; then
    echo "   FAILED: $bad failed requests" >&2
    failed=1
  fi
}

echo "dynserv $("$dynserv" --version 2>/dev/null | head -n1), $(nproc) cores," \
     "node at $base"
run /v1/pools
run /metrics
echo "== after: servers: $(counts)"
exit $failed
