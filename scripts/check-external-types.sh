#!/usr/bin/env bash
# Public-API hygiene: no dependency-internal type (reqwest, url, futures, ...) may appear
# in a public signature of a library crate, beyond what scripts/external-types.json allows.
#
# cargo-check-external-types needs a pinned nightly; this uses the stable toolchain's
# rustdoc JSON (unstable, hence RUSTC_BOOTSTRAP=1) and scripts/check_external_types.py.
# RUSTC_BOOTSTRAP=1 is given to rustdoc only, through a RUSTDOC wrapper: set for all of
# cargo it changes the fingerprint of proc-macro2's build script, and every dependency
# would be compiled a second time next to the clippy/test builds.
#
# The same rustdoc JSON gives each crate's public API listing (scripts/public_api.py),
# compared with the committed api/<crate>.txt: a change of public API shows as a diff to
# review. `--bless` rewrites the listings after an intended change.
#
# Usage: scripts/check-external-types.sh [--bless] [CRATE...]
#   default: every crate listed in EXTERNAL_TYPES_CRATES, or all library crates.
# Exit status: 0 clean, 1 when any crate leaks a type or its API listing changed, 2 when a
# step failed (a rustdoc warning included).
set -euo pipefail
cd "$(dirname "$0")/.."

bless=0
if [ "${1:-}" = "--bless" ]; then
  bless=1
  shift
fi
all_crates="auth0-api auth0-axum-api auth0-actix-api auth0-tonic-api auth0-api-testing auth0-api-redis"
if [ "$#" -gt 0 ]; then
  crates="$*"
else
  crates="${EXTERNAL_TYPES_CRATES:-$all_crates}"
fi

target_dir="$(cargo metadata --no-deps --format-version 1 |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
mkdir -p "$target_dir"
wrapper="$target_dir/rustdoc-json-bootstrap"
printf '#!/bin/sh\nRUSTC_BOOTSTRAP=1 exec "%s" "$@"\n' "$(rustc --print sysroot)/bin/rustdoc" >"$wrapper"
chmod +x "$wrapper"

# One rustdoc pass for the whole workspace, with rustdoc's warnings denied (broken intra-doc
# links and the other rustdoc lints run before the JSON backend, as for HTML), so this is
# also the "cargo doc without warnings" check. `--example quickstart` brings the
# dev-dependencies into feature resolution: the features, build scripts and proc macros
# are then the ones the test build (`cargo build --all-targets`) compiled, and in the same
# target directory only the check-mode metadata of the libraries is new work.
RUSTDOC="$wrapper" RUSTDOCFLAGS="-D warnings -Z unstable-options --output-format json ${RUSTDOCFLAGS:-}" \
  cargo doc -q --workspace --no-deps --all-features --lib --example quickstart || exit 2

status=0
for crate in $crates; do
  echo "-- external types: $crate"
  json="$target_dir/doc/${crate//-/_}.json"
  rc=0
  python3 scripts/check_external_types.py --crate "$crate" \
    --allowlist scripts/external-types.json "$json" || rc=$?
  case "$rc" in
    0) echo "   ok" ;;
    1) status=1 ;;
    *) exit 2 ;;
  esac
  echo "-- public API: $crate (api/$crate.txt)"
  if [ "$bless" = 1 ]; then
    python3 scripts/public_api.py --crate "$crate" --bless "api/$crate.txt" "$json" || exit 2
  else
    rc=0
    python3 scripts/public_api.py --crate "$crate" --check "api/$crate.txt" "$json" || rc=$?
    case "$rc" in
      0) echo "   unchanged" ;;
      1) status=1 ;;
      *) exit 2 ;;
    esac
  fi
done
exit "$status"
