#!/usr/bin/env bash
# Builds every cargo-fuzz target in fuzz/ once, then runs each for SECONDS, one after the
# other, starting from its committed seeds (fuzz/corpus/<target>/). Fails if any target finds
# a crash (the input is kept in fuzz/artifacts/<target>/) and prints one line of libFuzzer's
# final statistics per target.
#
#   scripts/fuzz.sh SECONDS [TARGET...]
#
# Environment:
#   FUZZ_SANITIZER   none (default: the cheapest build, still with coverage feedback, debug
#                    assertions and overflow checks) or address (slower; finds memory errors
#                    in unsafe code, of which the crate has none).
#   FUZZ_TARGET_DIR  build directory (default target/fuzz, next to the workspace's own).
#   FUZZ_JOBS        cargo build jobs (default: cargo's).
#   FUZZ_CODEGEN_UNITS  16 (default: a faster build, somewhat slower runs) or 1 (cargo fuzz's
#                    own default: the fastest runs, for long campaigns).
#   FUZZ_NICE        niceness of the fuzzing runs (default 0).
#   FUZZ_BUILD_ONLY  1: build the targets and stop (CI builds them in the background while
#                    other steps wait on servers, then runs them).
#   FUZZ_OPT_LEVEL   optimization level of auth0-api and the targets (default 3, as cargo
#                    fuzz builds; CI's smoke run uses 1, which compiles faster and still
#                    runs tens of thousands of inputs a second).
#   FUZZ_DEPS_OPT_LEVEL  optimization level of the (uninstrumented) dependencies (default:
#                    FUZZ_OPT_LEVEL; CI uses 0).
#
# The targets are cargo-fuzz targets (`cargo fuzz run jws` works where cargo-fuzz is
# installed); this script builds them with cargo directly, with the flags `cargo fuzz build`
# passes (SanitizerCoverage for libFuzzer's feedback, `--cfg fuzzing`, debug assertions),
# so a fresh machine needs nothing beyond the stable toolchain. The address sanitizer is a
# nightly flag on stable Rust: RUSTC_BOOTSTRAP=1 enables it (set here, for this build only).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 SECONDS [TARGET...]" >&2
  exit 2
fi
seconds=$1
shift

export RUSTC_BOOTSTRAP=1
sanitizer=${FUZZ_SANITIZER:-none}
target_dir=${FUZZ_TARGET_DIR:-$PWD/target/fuzz}
niceness=${FUZZ_NICE:-0}
triple=$(rustc -vV | sed -n 's/^host: //p')

# The fuzz crate is its own workspace; starting from the main lock file pins the shared
# dependencies to the versions the workspace builds and tests with (and already downloaded).
if [ ! -f fuzz/Cargo.lock ]; then
  cp Cargo.lock fuzz/Cargo.lock
fi

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^auth0-api-fuzz$')
fi

# What cargo fuzz passes to rustc: SanitizerCoverage for libFuzzer's feedback, `--cfg
# fuzzing`, debug assertions and overflow checks. Only the code under test (auth0-api) and
# the targets themselves are instrumented, through per-package profile flags: coverage
# of the dependencies would only dilute libFuzzer's feedback, and leaving them alone lets
# them compile at FUZZ_DEPS_OPT_LEVEL.
instrument=(
  -Cpasses=sancov-module
  -Cllvm-args=-sanitizer-coverage-level=4
  -Cllvm-args=-sanitizer-coverage-inline-8bit-counters
  -Cllvm-args=-sanitizer-coverage-pc-table
  -Cllvm-args=-sanitizer-coverage-trace-compares
  -Cllvm-args=-sanitizer-coverage-stack-depth
  -Cllvm-args=-simplifycfg-branch-fold-threshold=0
  --cfg fuzzing
  -Cdebug-assertions
  -Coverflow-checks
)
toml_flags=$(printf '"%s",' "${instrument[@]}")
toml_flags="[${toml_flags%,}]"
# Applied to every crate (the sanitizer must see all of them).
rustflags=("-Ccodegen-units=${FUZZ_CODEGEN_UNITS:-16}")
case "$sanitizer" in
  none) ;;
  address) rustflags+=(-Zsanitizer=address) ;;
  *) echo "FUZZ_SANITIZER must be none or address" >&2; exit 2 ;;
esac

opt=${FUZZ_OPT_LEVEL:-3}
echo "== building ${#targets[@]} fuzz targets (sanitizer: $sanitizer, opt-level $opt, dependencies ${FUZZ_DEPS_OPT_LEVEL:-$opt})"
bin_args=()
for t in "${targets[@]}"; do bin_args+=(--bin "$t"); done
build_args=(--manifest-path fuzz/Cargo.toml --target "$triple" --release
  --config 'profile.release.debug="line-tables-only"'
  --config "profile.release.opt-level=${FUZZ_DEPS_OPT_LEVEL:-$opt}"
  --config 'profile.release.package.aws-lc-sys.debug=false'
  --target-dir "$target_dir")
for pkg in auth0-api auth0-api-fuzz; do
  build_args+=(--config "profile.release.package.$pkg.opt-level=$opt"
    --config "profile.release.package.$pkg.rustflags=$toml_flags")
done
if [ -n "${FUZZ_JOBS:-}" ]; then build_args+=(--jobs "$FUZZ_JOBS"); fi
# --target keeps the global flags away from build scripts and proc macros, as in cargo fuzz;
# per-package rustflags are a nightly cargo feature (RUSTC_BOOTSTRAP=1 above).
RUSTFLAGS="${rustflags[*]} ${RUSTFLAGS:-}" cargo -Zprofile-rustflags build "${build_args[@]}" "${bin_args[@]}"
bin_dir="$target_dir/$triple/release"
if [ "${FUZZ_BUILD_ONLY:-0}" = 1 ]; then
  echo "== built ${#targets[@]} fuzz targets in $bin_dir"
  exit 0
fi

logs="$target_dir/logs"
mkdir -p "$logs"
summary=()
failed=()
for t in "${targets[@]}"; do
  work="$target_dir/corpus/$t"
  mkdir -p "$work" "fuzz/artifacts/$t" "fuzz/corpus/$t"
  echo "== fuzzing $t for ${seconds}s"
  # New inputs go to the work corpus (first directory); the committed seeds are read only.
  if nice -n "$niceness" "$bin_dir/$t" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="fuzz/artifacts/$t/" "$work" "fuzz/corpus/$t" \
    >"$logs/$t.log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$t")
    tail -n 40 "$logs/$t.log" >&2
  fi
  done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$logs/$t.log" | tail -n 1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$done_line")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logs/$t.log")
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$logs/$t.log")
  summary+=("$(printf '%-16s %-6s execs=%-10s exec/s=%-7s cov=%-6s ft=%-6s corpus=%-6s rss_mb=%s' \
    "$t" "$status" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}")")
done

echo "== fuzz summary (${seconds}s per target; logs in $logs)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "crashes or errors in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
