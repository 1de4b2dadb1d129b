#!/usr/bin/env bash
# Builds the Python package (bindings/python) into a fresh venv, as a user's
# `pip install ./bindings/python` would (or, with AUTH0_RS_PYTHON_EXTENSION, installs an
# extension module the workspace build already compiled), and runs its pytest suite against
# the installed package. Run from the repository root. Needs python3 (>= 3.9) with venv, and a Rust
# toolchain.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${AUTH0_RS_VENV:-target/python-venv}"

# --deps-only: create the venv and install the tools and test dependencies, then stop (CI
# does this in the background at the start, while the Rust build runs). A later run with
# AUTH0_RS_VENV_READY=1 reuses that venv.
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
if [ "${AUTH0_RS_VENV_READY:-0}" != 1 ] || [ ! -x "$VENV/bin/python" ]; then
    if [ -n "${CI:-}" ] || [ ! -x "$VENV/bin/python" ]; then
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    "${PIP[@]}" install --upgrade pip
    "${PIP[@]}" install "maturin>=1.7,<2" "fastapi>=0.115" httpx pytest uvicorn ruff
fi
if [ "${1:-}" = "--deps-only" ]; then
    exit 0
fi

# The extension crate shares the workspace's target directory, so a warm cache is reused.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
if [ -n "${AUTH0_RS_PYTHON_EXTENSION:-}" ]; then
    # CI: the extension module was compiled by the workspace build itself
    # (`cargo build --workspace --all-features --all-targets` with
    # PYO3_BUILD_EXTENSION_MODULE=1, as maturin sets it), so nothing is compiled again: a
    # maturin build resolves the crate's features on its own and would rebuild most of the
    # dependency tree. It is installed with the package's Python sources the way the wheel
    # lays them out (site-packages/auth0_rs/_auth0_rs.abi3.so, the stubs and py.typed).
    # The PEP 517 build (`pip install ./bindings/python`) is the path without this variable.
    site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
    rm -rf "$site/auth0_rs" "$site"/auth0_rs-*.dist-info
    cp -r bindings/python/python/auth0_rs "$site/auth0_rs"
    cp "$AUTH0_RS_PYTHON_EXTENSION" "$site/auth0_rs/_auth0_rs.abi3.so"
    info="$site/auth0_rs-$version.dist-info"
    mkdir -p "$info"
    printf 'Metadata-Version: 2.1\nName: auth0-rs\nVersion: %s\n' "$version" >"$info/METADATA"
    echo "python-ci" >"$info/INSTALLER"
    (cd "$site" && find auth0_rs "${info##*/}" -type f | sed 's/$/,,/') >"$info/RECORD"
else
    # The PEP 517 build, as `pip install ./bindings/python` runs it (release profile);
    # AUTH0_RS_PYTHON_PROFILE=dev builds faster, reusing more of a warm target directory.
    profile="${AUTH0_RS_PYTHON_PROFILE:-release}"
    MATURIN_PEP517_ARGS="--profile $profile" "${PIP[@]}" install --force-reinstall --no-deps ./bindings/python
fi

"$VENV/bin/ruff" check bindings/python
"$VENV/bin/ruff" format --check bindings/python

# The parity test runs the Rust quickstart next to the Python one (usually already built by
# `cargo test --workspace`).
if [ -z "${AUTH0_RS_QUICKSTART:-}" ]; then
    cargo build -q -p auth0-axum-api --example quickstart
    export AUTH0_RS_QUICKSTART="$CARGO_TARGET_DIR/debug/examples/quickstart"
fi

# Run from outside the source tree so `import auth0_rs` resolves to the installed package.
cd bindings/python
set +e
"../../$VENV/bin/python" -m pytest -q -p no:cacheprovider tests
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "python-ci: pytest collected no tests" >&2
    exit 1
fi
exit "$status"
