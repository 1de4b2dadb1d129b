#!/usr/bin/env bash
# Load test of the quickstart (release build, embedded test issuer) with wrk:
# a public route as the baseline, then protected routes with a Bearer token.
# Prints requests/s and latency for each and the protected/public throughput ratio.
# Needs wrk (apt-get install wrk). Usage: scripts/load.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
conns="${2:-32}"
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }
port="${PORT:-$((20000 + RANDOM % 20000))}"
out="$(mktemp)"
cargo build -q --release -p auth0-axum-api --example quickstart
PORT="$port" RUST_LOG=warn ./target/release/examples/quickstart >"$out" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do grep -q '^curl ' "$out" 2>/dev/null && break; sleep 0.1; done
token="$(grep -A1 '^bearer token (sub user-123' "$out" | tail -1 | tr -d ' ')"
[ -n "$token" ] || { echo "no token in the quickstart banner" >&2; exit 1; }
base="http://127.0.0.1:$port"

run() { # name, path, extra wrk args...
  local name="$1" path="$2"; shift 2
  local rps
  rps="$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" "$base$path" | tee /dev/stderr | awk '/Requests\/sec/ {print $2}')"
  echo "$name $rps" >>"$out.rps"
}
rm -f "$out.rps"
run public /public
run protected /protected -H "Authorization: Bearer $token"
run scoped /data -H "Authorization: Bearer $token"
echo
awk 'NR==1 {base=$2} {printf "%-10s %10.0f req/s  (%.2f x public)\n", $1, $2, $2/base}' "$out.rps"
rm -f "$out.rps"
