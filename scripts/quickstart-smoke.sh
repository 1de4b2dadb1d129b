#!/usr/bin/env bash
# Runs the quickstart with its embedded test issuer and checks that every printed curl
# line answers the status its comment announces ("# 200: ...", "# 401 ...", "# 403: ...").
# Usage: scripts/quickstart-smoke.sh [--release]   (env AUTH0_DPOP etc. pass through)
#   QUICKSTART_CRATE and QUICKSTART_EXAMPLE pick the front end whose quickstart runs
#   (default auth0-axum-api / quickstart; e.g. auth0-actix-api / actix_quickstart): every
#   front end prints the same curl lines.
#   QUICKSTART_BIN runs an already built binary instead (CI builds every example once).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=()
[ "${1:-}" = "--release" ] && profile=(--release)
port="${PORT:-$((20000 + RANDOM % 20000))}"
crate="${QUICKSTART_CRATE:-auth0-axum-api}"
example="${QUICKSTART_EXAMPLE:-quickstart}"
out="$(mktemp)"
if [ -n "${QUICKSTART_BIN:-}" ]; then
  PORT="$port" "$QUICKSTART_BIN" >"$out" 2>/dev/null &
else
  cargo build -q "${profile[@]}" -p "$crate" --example "$example"
  PORT="$port" cargo run -q "${profile[@]}" -p "$crate" --example "$example" >"$out" 2>/dev/null &
fi
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do
  grep -q '^curl ' "$out" 2>/dev/null && break
  sleep 0.2
done
sleep 0.3
checked=0
expected=""
while IFS= read -r line; do
  case "$line" in
    "# "[0-9][0-9][0-9]*) expected="${line:2:3}" ;;
    "curl "*)
      [ -n "$expected" ] || continue
      cmd="$(printf '%s' "$line" | sed 's|^curl -i |curl -s -o /dev/null -w %{http_code} |')"
      got="$(eval "$cmd" || true)"
      if [ "$got" != "$expected" ]; then
        echo "FAIL: expected $expected, got $got: ${line:0:80}..." >&2
        exit 1
      fi
      echo "ok $got ${line:0:70}..."
      checked=$((checked + 1))
      expected=""
      ;;
  esac
done <"$out"
[ "$checked" -ge 5 ] || { echo "FAIL: only $checked curl lines found" >&2; cat "$out" >&2; exit 1; }
echo "quickstart ($crate): $checked curl lines answered as printed (AUTH0_DPOP=${AUTH0_DPOP:-allowed})"
