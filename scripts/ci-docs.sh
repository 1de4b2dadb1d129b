#!/usr/bin/env bash
# The documentation and public-API part of CI, one script so .ci/run can run it in the
# background (it needs dependency metadata from a check-mode build, which the test build
# cannot share). Runs from the repository root; set CARGO_TARGET_DIR to keep its check
# artifacts apart from the test build's directory, so the two never wait on each other's lock.
#   1. self-tests of the API scripts;
#   2. external types and public API listings (scripts/check-external-types.sh);
#   3. rustdoc with warnings denied, every feature on, as docs.rs builds it;
#   4. clippy on the core without default features (no token exchange).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { echo "== $* (at ${SECONDS}s)"; }

step "scripts self-test"
python3 -m unittest discover -s scripts -p 'test_*.py'

step "external types and public API"
# The crates whose public API is checked (scripts/external-types.json says what each may
# expose, api/<crate>.txt lists it).
scripts/check-external-types.sh auth0-api auth0-axum-api auth0-actix-api auth0-tonic-api \
  auth0-api-testing auth0-api-redis

step "doc (all features, as docs.rs builds them)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features

step "core without default features (no token exchange)"
cargo clippy -p auth0-api --no-default-features -- -D warnings

step "docs and public API: ok"
