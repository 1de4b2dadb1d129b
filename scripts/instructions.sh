#!/usr/bin/env bash
# Instructions a new token costs beyond its signature check, counted by callgrind.
#
#   scripts/instructions.sh
#
# Builds `crates/auth0-api/benches/instructions.rs` (release, as `cargo bench` does) and runs
# it twice under `valgrind --tool=callgrind`, once counting only its loop of raw RS256
# signature checks and once only its loop of whole verifications of the same 300 new
# tokens. Prints both per token, their difference (the verifier's own work) and the
# functions that make it up. The counts repeat to within about 1 % from run to run (each run
# mints new tokens and keys), whatever else the machine is doing: timings on a shared
# machine do not, so two commits can be compared one after the other.
#
# Needs valgrind (`apt-get install -y valgrind`). Under valgrind, aws-lc takes its generic
# x86-64 code path (valgrind hides some CPU features), so the RSA figure is not the one a
# native run executes; the difference, made of Rust code compiled for the baseline CPU, is.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null; then
  echo "instructions.sh: needs valgrind (apt-get install -y valgrind)" >&2
  exit 2
fi

bin=$(cargo bench -q -p auth0-api --bench instructions --no-run --message-format=json \
  | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "instructions" and m.get("executable"):
        print(m["executable"])
' | tail -n 1)
if [[ -z "$bin" || ! -x "$bin" ]]; then
  echo "instructions.sh: could not build the instructions bench" >&2
  exit 1
fi

tokens=300 # N in the bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

count() { # region name -> instructions counted inside it
  valgrind --tool=callgrind --callgrind-out-file="$work/$1.out" \
    --toggle-collect="instructions::$1_region" "$bin" >"$work/$1.log" 2>&1 || {
    cat "$work/$1.log" >&2
    exit 1
  }
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/$1.log"
}

raw=$(count raw)
ours=$(count ours)
if [[ -z "$raw" || -z "$ours" || "$raw" -eq 0 ]]; then
  echo "instructions.sh: callgrind counted nothing (were the regions inlined?)" >&2
  exit 1
fi
echo "per new RS256 token ($tokens tokens, callgrind):"
echo "  raw signature check:        $((raw / tokens)) instructions"
echo "  whole verification (ours):  $((ours / tokens)) instructions"
echo "  ours beyond the check:      $(((ours - raw) / tokens)) instructions"
echo "largest differences by function (ours minus raw, self cost per token):"
per_function() { # callgrind output -> "count<TAB>function" lines (every function: without
  # --threshold=100 the small ones of one run are left out and seem to cost nothing there)
  callgrind_annotate --auto=no --threshold=100 "$1" 2>/dev/null \
    | sed -n 's/^ *\([0-9,][0-9,]*\) ([ 0-9.]*%)  \(.*\)$/\1\t\2/p' \
    | grep -v 'PROGRAM TOTALS' | sed 's/ \[[^]]*\]$//' | tr -d ','
}
awk -F'\t' -v n="$tokens" '
  NR == FNR { raw[$2] = $1; next }
  { d = ($1 - raw[$2]) / n; if (d >= 50) printf "  %7d  %s\n", d, $2 }
' <(per_function "$work/raw.out") <(per_function "$work/ours.out") | sort -rn | head -n 15
