#!/usr/bin/env bash
# Side-by-side load test on one machine: bare axum (no auth), ours (the quickstart, release),
# jwt-authorizer 0.15 and the floor (both built from crates.io in bench/peers, outside the
# workspace), run in alternation A B A B with wrk, in four scenarios. The floor is bare axum
# plus the signature checks alone (a one-slot cache for a repeated token, no claims read):
# not a verifier, but the least any verifier on aws-lc-rs spends, so "ours/floor" is what our
# library and its Axum layer cost beyond that, and "floor/jwt-authorizer" the best ratio any
# such verifier could reach in that round. Scenarios:
#   bearer  one token repeated          unique  a new token every request
#   dpop    a new DPoP proof every request (not jwt-authorizer: it has no DPoP)
#   mix     50,000 distinct valid tokens, each reused, in random order
#   mix-64k the same with our token cache sized to the working set (65,536 entries; the
#           default holds 10,000): not in the default list. Each token is checked in full
#           twice before it is cached, so use runs long enough (--duration 20 or more)
#           for the hits to dominate
# Each run starts a fresh server pinned to CPU 0 (wrk on CPU 1), and prints req/s, p50/p99,
# server CPU µs per request, errors (non-2xx / socket), peak RSS and the CPU time stolen by
# the hypervisor during the run (/proc/stat). Ratios are printed only for rounds in which
# every run's steal stayed under STEAL_MAX percent; a scenario with no such round says so.
#
# Usage: scripts/load.sh [--duration S] [--warmup S] [--rounds N] [--scenarios a,b]
#                        [--connections C] [--steal-max PCT]
# Needs wrk, curl, taskset. Defaults: 10 s runs, 2 s warm-up, 2 rounds, 64 connections.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

duration=10 warmup=2 rounds=2 conns=64 steal_max=5
scenarios="bearer,unique,dpop,mix"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --scenarios) scenarios="$2"; shift 2 ;;
    --connections) conns="$2"; shift 2 ;;
    --steal-max) steal_max="$2"; shift 2 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in wrk curl taskset; do
  command -v "$tool" >/dev/null || { echo "$tool not found (apt-get install -y wrk curl util-linux)" >&2; exit 1; }
done
ncpu="$(nproc)"
if [ "$ncpu" -ge 2 ]; then server_cpu=0 load_cpu=1; else server_cpu=0 load_cpu=0; fi

audience="https://load-api.example/"
echo "building (release): quickstart, load_issuer, peers ..." >&2
cargo build -q --release -p auth0-axum-api --example quickstart
cargo build -q --release -p auth0-api-testing --example load_issuer
# The peers are their own workspace with their own target directory, whatever
# CARGO_TARGET_DIR says; ours are wherever the workspace builds (CARGO_TARGET_DIR included).
(cd bench/peers && cargo build -q --release --target-dir "$root/bench/peers/target")
target_dir="$(cargo metadata --no-deps --format-version 1 |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
ours_bin="$target_dir/release/examples/quickstart"
peers="$root/bench/peers/target/release"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "${issuer_pid:-}" ] && kill "$issuer_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Unique tokens: enough for the fastest expected server not to wrap within a run.
unique_count=$(( (duration + warmup) * 30000 ))
mix_count=50000
echo "minting $unique_count unique and $mix_count mix RS256 tokens ..." >&2
coproc ISSUER { exec "$target_dir/release/examples/load_issuer" "$work" "$audience" "$unique_count" "$mix_count"; }
issuer_pid=$ISSUER_PID
read -r ready <&"${ISSUER[0]}"
[ "$ready" = ready ] || { echo "load_issuer failed" >&2; exit 1; }
issuer="$(cat "$work/issuer")"
token="$(cat "$work/token")"
dpop_token="$(cat "$work/dpop-token")"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# cpu steal and total jiffies of the whole machine
stat_cpu() { awk '/^cpu / {t=0; for(i=2;i<=NF;i++) t+=$i; print $9, t}' /proc/stat; }
# utime+stime of a process tree's main process, in clock ticks
proc_cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz="$(getconf CLK_TCK)"

start_server() { # target port dpop-mode
  local target="$1" port="$2" mode="$3" bin
  case "$target" in
    axum-noauth) bin="$peers/axum-noauth" ;;
    ours) bin="$ours_bin" ;;
    jwt-authorizer) bin="$peers/jwt-authorizer" ;;
    floor) bin="$peers/floor" ;;
  esac
  FLOOR_RSA_DER="$work/rs256.der" PORT="$port" AUTH0_ISSUER="$issuer" AUTH0_AUDIENCE="$audience" AUTH0_DPOP="$mode" RUST_LOG=warn \
    AUTH0_TOKEN_CACHE_CAPACITY="$capacity" taskset -c "$server_cpu" "$bin" >"$work/$target.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/public")" = 200 ] && return 0
    sleep 0.05
  done
  echo "$target did not start:" >&2; cat "$work/$target.log" >&2; return 1
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

wrk_run() { # secs port mode lines token
  LOAD_MODE="$3" LOAD_LINES="$4" LOAD_TOKEN="$5" taskset -c "$load_cpu" \
    wrk -t1 -c"$conns" -d"$1s" --timeout 5s -s scripts/load.lua "http://127.0.0.1:$2/protected" \
    | awk '/^RESULT/ {$1=""; print}'
}

results="$work/results"
: >"$results"
printf '%-7s %-5s %-15s %9s %8s %8s %9s %11s %9s %7s\n' \
  scenario round target "req/s" "p50 ms" "p99 ms" "CPU µs/r" "errors" "RSS MiB" "steal%"
IFS=, read -r -a scen_list <<<"$scenarios"
for scen in "${scen_list[@]}"; do
  capacity="" # empty: the default
  case "$scen" in
    bearer) targets="axum-noauth ours jwt-authorizer floor"; mode=bearer lines=""; tok="$token"; dpop=allowed ;;
    unique) targets="axum-noauth ours jwt-authorizer floor"; mode=unique lines="$work/unique.txt"; tok=""; dpop=allowed ;;
    mix) targets="axum-noauth ours jwt-authorizer floor"; mode=mix lines="$work/mix.txt"; tok=""; dpop=allowed ;;
    mix-64k) targets="axum-noauth ours jwt-authorizer floor"; mode=mix lines="$work/mix.txt"; tok=""; dpop=allowed; capacity=65536 ;;
    dpop) targets="axum-noauth ours floor"; mode=dpop lines=""; tok="$dpop_token"; dpop=required ;;
    *) echo "unknown scenario $scen" >&2; exit 2 ;;
  esac
  for round in $(seq 1 "$rounds"); do
    for target in $targets; do
      port="$(free_port)"
      start_server "$target" "$port" "$dpop"
      if [ "$scen" = dpop ]; then
        lines="$work/proofs-$port.txt"
        echo "proofs http://127.0.0.1:$port/protected $(( (duration + warmup) * 16000 )) $lines" >&"${ISSUER[1]}"
        read -r reply <&"${ISSUER[0]}"
        [ "$reply" = done ] || { echo "proof minting failed" >&2; exit 1; }
      fi
      if [ "$target" != axum-noauth ]; then # the valid credentials must get 200, none 401
        hdr=(-H "Authorization: Bearer $token")
        [ "$scen" = dpop ] && hdr=(-H "Authorization: DPoP $tok" -H "DPoP: $(tail -1 "$lines")")
        code="$(curl -s -o /dev/null -w '%{http_code}' "${hdr[@]}" "http://127.0.0.1:$port/protected")"
        none="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/protected")"
        [ "$code" = 200 ] && [ "$none" = 401 ] || { echo "$target: valid $code, none $none: not counted" >&2; stop_server; continue; }
        [ "$scen" = dpop ] && sed -i '$d' "$lines" # that proof is spent
      fi
      # Warm-up: for unique/dpop, from the end of the file, never reaching the measured part.
      if [ "$warmup" != 0 ]; then
        case "$mode" in
          unique|dpop) tail -n $(( warmup * 15000 )) "$lines" >"$work/warm.txt"
                       head -n -$(( warmup * 15000 )) "$lines" >"$work/measured.txt" ;;
          *) cp "${lines:-/dev/null}" "$work/warm.txt"; cp "${lines:-/dev/null}" "$work/measured.txt" ;;
        esac
        wrk_run "$warmup" "$port" "$mode" "$work/warm.txt" "$tok" >/dev/null
      else
        cp "${lines:-/dev/null}" "$work/measured.txt"
      fi
      read -r steal0 total0 < <(stat_cpu)
      cpu0="$(proc_cpu "$server_pid")"
      out="$(wrk_run "$duration" "$port" "$mode" "$work/measured.txt" "$tok")"
      cpu1="$(proc_cpu "$server_pid")"
      read -r steal1 total1 < <(stat_cpu)
      rss_kib="$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")"
      stop_server
      eval "$out" # requests duration_us non2xx socket p50_us p99_us
      measured_lines="$(wc -l <"$work/measured.txt")"
      reused=""
      if [ "$mode" = unique ] || [ "$mode" = dpop ]; then
        [ "$requests" -gt "$measured_lines" ] && reused=" (lines reused: $requests > $measured_lines)"
      fi
      awk -v s="$scen" -v r="$round" -v t="$target" -v req="$requests" -v dur="$duration_us" \
          -v p50="$p50_us" -v p99="$p99_us" -v c0="$cpu0" -v c1="$cpu1" -v hz="$hz" \
          -v e1="$non2xx" -v e2="$socket" -v rss="$rss_kib" -v st0="$steal0" -v st1="$steal1" \
          -v to0="$total0" -v to1="$total1" -v note="$reused" 'BEGIN {
        rps = req / (dur / 1e6); cpu = (c1 - c0) / hz * 1e6 / (req > 0 ? req : 1)
        steal = (to1 > to0) ? 100 * (st1 - st0) / (to1 - to0) : 0
        printf "%-7s %-5s %-15s %9.0f %8.2f %8.2f %9.1f %5d/%-5d %9.1f %7.1f%s\n", s, r, t, rps, p50/1000, p99/1000, cpu, e1, e2, rss/1024, steal, note
        printf "%s %s %s %f %f %f %f\n", s, r, t, rps, cpu, steal, rss/1024 >> "'"$results"'"
      }'
    done
  done
done

echo
echo "Ratios within rounds whose steal stayed under $steal_max % in every run:"
awk -v max="$steal_max" '
  { key = $1 " " $2; rps[key, $3] = $4; cpu[key, $3] = $5; if ($6 > worst[key]) worst[key] = $6; seen[key] = 1; scen[$1] = 1 }
  END {
    for (s in scen) {
      clean = 0
      for (k in seen) {
        split(k, p, " "); if (p[1] != s) continue
        if (worst[k] >= max) { printf "  %-7s round %s: steal reached %.1f %%, not compared\n", s, p[2], worst[k]; continue }
        clean++
        line = sprintf("  %-7s round %s:", s, p[2])
        if ((k, "ours") in rps && (k, "axum-noauth") in rps)
          line = line sprintf(" ours/bare %.2fx req/s, CPU +%.1f µs/req over bare;", rps[k, "ours"] / rps[k, "axum-noauth"], cpu[k, "ours"] - cpu[k, "axum-noauth"])
        if ((k, "ours") in rps && (k, "jwt-authorizer") in rps)
          line = line sprintf(" ours/jwt-authorizer %.2fx req/s;", rps[k, "ours"] / rps[k, "jwt-authorizer"])
        if ((k, "ours") in rps && (k, "floor") in rps)
          line = line sprintf(" ours/floor %.2fx req/s, CPU +%.1f µs/req over floor;", rps[k, "ours"] / rps[k, "floor"], cpu[k, "ours"] - cpu[k, "floor"])
        if ((k, "floor") in rps && (k, "jwt-authorizer") in rps)
          line = line sprintf(" floor/jwt-authorizer %.2fx req/s", rps[k, "floor"] / rps[k, "jwt-authorizer"])
        print line
      }
      if (clean == 0) printf "  %-7s no round with low steal: no ratio\n", s
    }
  }' "$results"
