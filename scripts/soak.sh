#!/usr/bin/env bash
# Soak test of the quickstart (release build) under Bearer + DPoP traffic.
#
#   scripts/soak.sh MINUTES [THREADS]
#
# A feeder (auth0-api-testing example soak_feeder) runs a test issuer on 127.0.0.1, writes a
# Bearer token and a DPoP-bound token, and streams freshly signed DPoP proofs into one named
# pipe per wrk thread. The quickstart runs against that issuer (AUTH0_ISSUER; its embedded
# issuer keeps its DPoP key to itself), and wrk sends a fixed mix on each connection
# (scripts/soak.lua): new DPoP proofs (200), Bearer (200), replays of a proof already
# accepted (401), garbage proofs and tokens (401), a malformed Authorization header (400).
# Every response is checked against the status its request must get.
#
# Every 10 s: requests/s, p99 latency, unexpected statuses, socket errors and the
# quickstart's RSS. At the end: totals and the RSS growth from the end of the warm-up to
# the end. The warm-up (SOAK_WARMUP_MINUTES, default 6) outlasts the DPoP replay window
# (iat offset + leeway, 330 s by default): until then the replay store fills with the jtis
# it must remember, and only afterwards does it forget as many as it learns. Fails on any
# unexpected status or socket error, and (when at least 3 minutes follow the warm-up) on
# RSS growth of 10 % or more after warm-up.
# Needs wrk (apt-get install wrk). SOAK_NICE sets the niceness of every process (default 0);
# SOAK_BUILD=0 uses the release binaries as they are.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes="${1:?usage: $0 MINUTES [THREADS]}"
threads="${2:-2}"
niceness="${SOAK_NICE:-0}"
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }

if [ "${SOAK_BUILD:-1}" != 0 ]; then
  nice -n "$niceness" cargo build -q --release -p auth0-axum-api --example quickstart
  nice -n "$niceness" cargo build -q --release -p auth0-api-testing --example soak_feeder
fi

dir="$(mktemp -d)"
pids=()
cleanup() {
  exec 3>&- 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

wait_for() { # file, pattern, pid, what
  for _ in $(seq 1 600); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || break
    sleep 0.05
  done
  echo "$4 did not start" >&2
  cat "$1" "$1.err" >&2 2>/dev/null || true
  exit 1
}

fifos=()
for i in $(seq 0 $((threads - 1))); do
  mkfifo "$dir/fifo-$i"
  fifos+=("$dir/fifo-$i")
done
mkfifo "$dir/url"

# 1. The feeder: issuer and tokens now, proofs once it is told the quickstart's URL.
nice -n "$niceness" ./target/release/examples/soak_feeder "$dir" "${fifos[@]}" \
  <"$dir/url" >"$dir/feeder" 2>"$dir/feeder.err" &
pids+=($!)
feeder=$!
exec 3>"$dir/url"
wait_for "$dir/feeder" '^ready' "$feeder" "the feeder"

# 2. The quickstart against that issuer, on a free port.
PORT=0 RUST_LOG=warn AUTH0_ISSUER="$(cat "$dir/issuer")" AUTH0_AUDIENCE="$(cat "$dir/audience")" \
  nice -n "$niceness" ./target/release/examples/quickstart >"$dir/quickstart" 2>"$dir/quickstart.err" &
pids+=($!)
server=$!
wait_for "$dir/quickstart" '^listening on ' "$server" "the quickstart"
base="$(sed -n 's/^listening on //p' "$dir/quickstart" | head -n 1)"
echo "$base/protected" >&3

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$server/status"; }

echo "soak: ${minutes} min, $threads connections, quickstart pid $server at $base"
rounds=$((minutes * 6))
total_requests=0
total_unexpected=0
total_errors=0
warm_rss=""
last_statuses=""
warm_rounds=$(( ${SOAK_WARMUP_MINUTES:-6} * 6 ))
first_rss="$(rss_kb)"
printf '%6s %9s %8s %10s %7s %9s\n' "t(s)" "req/s" "p99(ms)" "unexpected" "errors" "rss(KiB)"
for round in $(seq 1 "$rounds"); do
  if ! out="$(SOAK_DIR="$dir" nice -n "$niceness" wrk -t"$threads" -c"$threads" -d10s \
    -s scripts/soak.lua "$base/protected" 2>"$dir/wrk.err")"; then
    echo "wrk failed:" >&2
    cat "$dir/wrk.err" >&2
    exit 1
  fi
  line="$(grep '^SOAK ' <<<"$out" || true)"
  if [ -z "$line" ]; then
    echo "no summary from wrk:" >&2
    echo "$out" >&2
    cat "$dir/wrk.err" >&2
    exit 1
  fi
  field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
  rss="$(rss_kb)"
  total_requests=$((total_requests + $(field requests)))
  total_unexpected=$((total_unexpected + $(field unexpected)))
  total_errors=$((total_errors + $(field socket_errors)))
  printf '%6d %9s %8s %10s %7s %9s\n' $((round * 10)) "$(field rps)" "$(field p99_ms)" \
    "$(field unexpected)" "$(field socket_errors)" "$rss"
  if [ "$(field unexpected)" != 0 ]; then
    echo "  statuses: $(field statuses)"
    cat "$dir/wrk.err"
  fi
  [ "$round" -eq "$warm_rounds" ] && warm_rss="$rss"
  last_statuses="$(field statuses)"
done
last_rss="$(rss_kb)"

echo "== soak summary"
echo "requests: $total_requests, unexpected statuses: $total_unexpected, socket errors: $total_errors"
echo "last round's statuses (kind:status=count): $last_statuses"
echo "RSS: start ${first_rss} KiB, after warm-up ($((warm_rounds * 10)) s) ${warm_rss:-n/a} KiB, end ${last_rss} KiB"
status=0
if [ -n "$warm_rss" ] && [ "$rounds" -ge $((warm_rounds + 18)) ]; then
  growth="$(awk -v a="$warm_rss" -v b="$last_rss" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')"
  echo "RSS growth after warm-up: ${growth} %"
  if awk -v g="$growth" 'BEGIN { exit !(g >= 10) }'; then
    echo "FAIL: RSS grew by 10 % or more after warm-up" >&2
    status=1
  fi
fi
if [ "$total_unexpected" -ne 0 ] || [ "$total_errors" -ne 0 ]; then
  echo "FAIL: unexpected statuses or socket errors" >&2
  status=1
fi
exit "$status"
