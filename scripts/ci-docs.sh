#!/usr/bin/env bash
# The documentation and public-API part of CI, runnable on its own from the repository root.
# Run it after the test build (`cargo build --workspace --all-features --all-targets`), in
# the same target directory: it then compiles only the check-mode metadata of the
# libraries, and shares every build script and proc macro with that build.
#   1. self-tests of the API scripts;
#   2. one rustdoc pass over the workspace, every feature on as docs.rs builds them, with
#      rustdoc's warnings denied; its JSON gives the external-types check and the public API
#      listings (scripts/check-external-types.sh).
# The core without default features (no token exchange) is checked before a release, not
# here (CONTRIBUTING.md): it resolves features on its own and would compile most
# dependencies a third time.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { echo "== $* (at ${SECONDS}s)"; }

step "scripts self-test"
python3 -m unittest discover -s scripts -p 'test_*.py'

step "rustdoc (warnings denied), external types and public API"
# The crates whose public API is checked (scripts/external-types.json says what each may
# expose, api/<crate>.txt lists it).
scripts/check-external-types.sh auth0-api auth0-axum-api auth0-actix-api auth0-tonic-api \
  auth0-api-testing auth0-api-redis

step "docs and public API: ok"
