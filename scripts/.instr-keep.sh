#!/usr/bin/env bash
# Instructions a new token costs beyond its signature check, counted by callgrind.
#
#   scripts/instructions.sh          # the core: Auth0::verify_request
#   scripts/instructions.sh --axum   # a protected Axum route, beyond the bare route too
#   scripts/instructions.sh --cache  # (with or without --axum) also the simulated misses
#                                    # of the first-level caches, per region
#
# Builds the `instructions` bench of `auth0-api` (or of `auth0-axum-api`) in release, as
# `cargo bench` does, and runs it under `valgrind --tool=callgrind` once per region, each
# time counting only that region's loop over the same 300 new tokens: the raw RS256
# signature checks, (with --axum) the bare route's requests and the floor (each token's
# raw check, then the bare route, in one loop), and the whole verifications (or protected
# requests). Prints them per token, the difference (the verifier's own work,
# and with --axum the front end's) and the functions that make it up. The counts repeat to
# within about 1 % from run to run (each run mints new tokens and keys), whatever else the
# machine is doing: timings on a shared machine do not, so two commits can be compared one
# after the other.
#
# Needs valgrind (`apt-get install -y valgrind`). Under valgrind, aws-lc takes its generic
# x86-64 code path (valgrind hides some CPU features), so the RSA figure is not the one a
# native run executes; the difference, made of Rust code compiled for the baseline CPU, is.
set -euo pipefail
cd "$(dirname "$0")/.."

crate=auth0-api
regions=(raw ours)
cache=()
for arg in "$@"; do
  case "$arg" in
    --axum)
      crate=auth0-axum-api
      regions=(raw bare floor ours)
      ;;
    --cache)
      # First-level caches of 32 KiB, 8-way (most x86-64 cores), a 512 KiB second level.
      cache=(--cache-sim=yes --I1=32768,8,64 --D1=32768,8,64 --LL=524288,8,64)
      ;;
    *)
      echo "usage: scripts/instructions.sh [--axum] [--cache]" >&2
      exit 2
      ;;
  esac
done

if ! command -v valgrind >/dev/null; then
  echo "instructions.sh: needs valgrind (apt-get install -y valgrind)" >&2
  exit 2
fi

bin=$(cargo bench -q -p "$crate" --bench instructions --no-run --message-format=json \
  | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "instructions" and m.get("executable"):
        print(m["executable"])
' | tail -n 1)
if [[ -z "$bin" || ! -x "$bin" ]]; then
  echo "instructions.sh: could not build the instructions bench of $crate" >&2
  exit 1
fi

tokens=300 # N in the bench
work=/work/bench/cg; rm -rf $work; mkdir -p $work


count() { # region name -> instructions counted inside it
  valgrind --tool=callgrind ${cache[@]+"${cache[@]}"} --callgrind-out-file="$work/$1.out" \
    --toggle-collect="instructions::$1_region" "$bin" >"$work/$1.log" 2>&1 || {
    cat "$work/$1.log" >&2
    exit 1
  }
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/$1.log"
}

declare -A n
for r in "${regions[@]}"; do
  n[$r]=$(count "$r")
  if [[ -z "${n[$r]}" || "${n[$r]}" -eq 0 ]]; then
    echo "instructions.sh: callgrind counted nothing in $r (was the region inlined?)" >&2
    exit 1
  fi
done

per_function() { # callgrind outputs -> "count<TAB>function" lines, summed over the files
  # (every function: without --threshold=100 the small ones of a run are left out and seem
  # to cost nothing there)
  for f in "$@"; do
    callgrind_annotate --auto=no --show=Ir --threshold=100 "$f" 2>/dev/null \
      | sed -n 's/^ *\([0-9,][0-9,]*\) ([ 0-9.]*%)  \(.*\)$/\1\t\2/p' \
      | grep -v 'PROGRAM TOTALS' | sed 's/ \[[^]]*\]$//' | tr -d ','
  done | awk -F'\t' '{ s[$2] += $1 } END { for (k in s) printf "%d\t%s\n", s[k], k }'
}

if [[ "$crate" == auth0-api ]]; then
  base=$((n[raw]))
  echo "per new RS256 token ($tokens tokens, callgrind):"
  echo "  raw signature check:        $((n[raw] / tokens)) instructions"
  echo "  whole verification (ours):  $((n[ours] / tokens)) instructions"
  echo "  ours beyond the check:      $(((n[ours] - base) / tokens)) instructions"
  base_files=("$work/raw.out")
else
  base=$((n[raw] + n[bare]))
  echo "per request with a new RS256 token ($tokens requests, callgrind):"
  echo "  raw signature check:        $((n[raw] / tokens)) instructions"
  echo "  bare route:                 $((n[bare] / tokens)) instructions"
  echo "  protected route (ours):     $((n[ours] / tokens)) instructions"
  echo "  ours beyond check + bare:   $(((n[ours] - base) / tokens)) instructions"
  echo "  floor (check, then bare):   $((n[floor] / tokens)) instructions"
  echo "  ours beyond the floor:      $(((n[ours] - n[floor]) / tokens)) instructions"
  base_files=("$work/raw.out" "$work/bare.out")
fi
if ((${#cache[@]})); then
  # Simulated misses of the first-level instruction and data caches: the code and data a
  # request touches beyond what those caches hold (apart, the raw check and the bare
  # route each fit the instruction cache; together they do not).
  echo "first-level cache misses per token (simulated: 32 KiB instruction and data caches):"
  for r in "${regions[@]}"; do
    awk -v r="$r" -v n="$tokens" '
      /^events:/ { for (i = 2; i <= NF; i++) col[$i] = i }
      /^totals:/ { printf "  %-6s instruction %6.0f  data %6.0f\n", r, $(col["I1mr"]) / n,
                   ($(col["D1mr"]) + $(col["D1mw"])) / n }
    ' "$work/$r.out"
  done
fi
echo "largest differences by function (self cost per token: ours minus the check, and the bare route with --axum):"
awk -F'\t' -v n="$tokens" '
  NR == FNR { base[$2] = $1; next }
  { d = ($1 - base[$2]) / n; if (d >= 50) printf "  %7d  %s\n", d, $2 }
' <(per_function "${base_files[@]}") <(per_function "$work/ours.out") | sort -rn | head -n 15
