"""The Python quickstart (``examples/quickstart.py``, FastAPI + ``auth0_rs`` under uvicorn with
one worker) answers the same requests with the same status, ``WWW-Authenticate``,
``DPoP-Nonce`` and error code as the Rust quickstart (``auth0-axum-api``'s example), both
trusting one issuer, in every DPoP mode and with server nonces.

The Rust binary comes from ``AUTH0_RS_QUICKSTART`` (``scripts/python-ci.sh`` builds it);
without it, the test builds it with cargo from this checkout.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import httpx
import pytest
from auth0_rs.testing import DpopKey, TestIssuer

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
EXAMPLE_DIR = HERE.parent / "examples"
NONCE_SECRET = "a-shared-nonce-secret-of-at-least-32-bytes"


def _rust_binary() -> str:
    configured = os.environ.get("AUTH0_RS_QUICKSTART")
    if configured:
        return configured
    subprocess.run(
        ["cargo", "build", "-q", "-p", "auth0-axum-api", "--example", "quickstart"],
        cwd=REPO,
        check=True,
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return str(target / "debug" / "examples" / "quickstart")


@pytest.fixture(scope="module")
def rust_binary() -> str:
    return _rust_binary()


class Server:
    """A quickstart process and the base URL it listens on."""

    def __init__(self, proc: subprocess.Popen[str], base: str) -> None:
        self.proc = proc
        self.base = base

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _env(issuer: TestIssuer, mode: str, nonces: bool) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("AUTH0_DOMAIN", "AUTH0_PUBLIC_URL", "AUTH0_REDIS_URL", "AUTH0_DPOP_NONCE_SECRET"):
        env.pop(name, None)
    env.update(
        AUTH0_ISSUER=issuer.issuer,
        AUTH0_AUDIENCE=issuer.audience,
        AUTH0_DPOP=mode,
        AUTH0_DPOP_NONCE="on" if nonces else "off",
        RUST_LOG="warn",
    )
    if nonces:
        env["AUTH0_DPOP_NONCE_SECRET"] = NONCE_SECRET
    return env


def start_rust(binary: str, env: dict[str, str]) -> Server:
    """The Rust quickstart on an ephemeral port (``PORT=0``), read from its banner."""
    proc = subprocess.Popen(
        [binary],
        env={**env, "PORT": "0"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    stdout = proc.stdout
    for line in stdout:
        if line.startswith("listening on "):
            base = line.split()[-1].rstrip("/")
            # Drain the rest of the banner so the server never writes to a full or closed pipe.
            threading.Thread(target=lambda: [None for _ in stdout], daemon=True).start()
            return Server(proc, base)
    proc.kill()
    raise AssertionError(f"the Rust quickstart exited without listening: {proc.wait()}")


def start_python(env: dict[str, str]) -> Server:
    """The Python quickstart under uvicorn, one worker, on a socket this test bound."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            str(EXAMPLE_DIR),
            "--fd",
            str(sock.fileno()),
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--no-access-log",
            "quickstart:app",
        ],
        env=env,
        pass_fds=(sock.fileno(),),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sock.close()  # the child holds its own copy; requests queue in the backlog meanwhile
    return Server(proc, f"http://127.0.0.1:{port}")


@pytest.fixture
def servers(
    request: pytest.FixtureRequest, rust_binary: str
) -> Iterator[Callable[[str, bool], tuple[TestIssuer, Server, Server]]]:
    started: list[Server] = []
    issuers: list[TestIssuer] = []

    def start(mode: str, nonces: bool) -> tuple[TestIssuer, Server, Server]:
        issuer = TestIssuer()
        issuers.append(issuer)
        env = _env(issuer, mode, nonces)
        rust = start_rust(rust_binary, env)
        started.append(rust)
        python = start_python(env)
        started.append(python)
        return issuer, rust, python

    yield start
    for server in started:
        server.stop()
    for issuer in issuers:
        issuer.shutdown()


def answer(r: httpx.Response) -> dict[str, Any]:
    """What must match: status, challenge, nonce presence, Retry-After and the error code
    (the Rust body is ``{"error", ...}``, FastAPI's is ``{"detail": {"error", ...}}``)."""
    code: Optional[str] = None
    if r.status_code >= 400:
        body = r.json()
        code = (body.get("detail") or body).get("error")
    return {
        "status": r.status_code,
        "www-authenticate": r.headers.get_list("www-authenticate"),
        "dpop-nonce": "dpop-nonce" in r.headers,
        "retry-after": r.headers.get("retry-after"),
        "error": code,
    }


Request = tuple[str, str, list[tuple[str, str]]]


def cases(issuer: TestIssuer, base: str) -> list[tuple[str, Request]]:
    """One table of requests, built per server (a DPoP proof names the server's URL)."""
    reader = issuer.token(sub="user-123", scope="read:data")
    no_scopes = issuer.token(sub="user-456")
    writer = issuer.token(sub="user-777", scope="read:data write:data")
    expired = issuer.token(expired=True)
    other_aud = issuer.token(audience="https://another-api.example/")
    key = DpopKey()
    bound = issuer.token(sub="user-789", scope="read:data", bound_to=key)
    url = f"{base}/protected"
    proof = key.proof("GET", url, access_token=bound)
    stale = key.proof("GET", url, access_token=bound, iat=1)
    elsewhere = key.proof("GET", "https://elsewhere.example/protected", access_token=bound)
    post = key.proof("POST", url, access_token=bound)
    unbound = key.proof("GET", url, access_token=reader)

    def bearer(token: str) -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {token}")]

    def dpop(token: str, p: str) -> list[tuple[str, str]]:
        return [("authorization", f"DPoP {token}"), ("dpop", p)]

    return [
        ("public", ("GET", "/public", [])),
        ("no credentials", ("GET", "/protected", [])),
        ("bearer", ("GET", "/protected", bearer(reader))),
        ("bearer with scope", ("GET", "/data", bearer(reader))),
        ("bearer without scope", ("GET", "/data", bearer(no_scopes))),
        ("post needs write:data", ("POST", "/data", bearer(reader))),
        ("post with write:data", ("POST", "/data", bearer(writer))),
        ("garbage token", ("GET", "/protected", bearer("not.a.token"))),
        ("expired", ("GET", "/protected", bearer(expired))),
        ("other audience", ("GET", "/protected", bearer(other_aud))),
        ("scheme without token", ("GET", "/protected", [("authorization", "Bearer")])),
        ("unknown scheme", ("GET", "/protected", [("authorization", "Basic dXNlcjpwYXNz")])),
        ("lowercase scheme", ("GET", "/protected", [("authorization", f"bearer {reader}")])),
        (
            "two authorization headers",
            ("GET", "/protected", bearer(reader) + bearer(no_scopes)),
        ),
        ("huge token", ("GET", "/protected", bearer("a" * 20_000))),
        ("dpop", ("GET", "/protected", dpop(bound, proof))),
        ("dpop replayed", ("GET", "/protected", dpop(bound, proof))),
        ("dpop without proof", ("GET", "/protected", [("authorization", f"DPoP {bound}")])),
        ("dpop stale proof", ("GET", "/protected", dpop(bound, stale))),
        ("dpop proof for another url", ("GET", "/protected", dpop(bound, elsewhere))),
        ("dpop proof for another method", ("GET", "/protected", dpop(bound, post))),
        ("dpop with an unbound token", ("GET", "/protected", dpop(reader, unbound))),
        ("bound token as bearer", ("GET", "/protected", bearer(bound))),
        ("dpop header with bearer", ("GET", "/protected", [*bearer(reader), ("dpop", proof)])),
    ]


def run_table(issuer: TestIssuer, server: Server) -> list[tuple[str, dict[str, Any]]]:
    out = []
    with httpx.Client(base_url=server.base, timeout=30) as client:
        for name, (method, path, headers) in cases(issuer, server.base):
            out.append((name, answer(client.request(method, path, headers=headers))))
    return out


@pytest.mark.parametrize("mode", ["allowed", "required", "disabled"])
def test_same_answers_as_the_rust_quickstart(mode: str, servers: Any) -> None:
    issuer, rust, python = servers(mode, False)
    expected = run_table(issuer, rust)
    got = run_table(issuer, python)
    assert [name for name, _ in got] == [name for name, _ in expected]
    for (name, want), (_, have) in zip(expected, got):
        assert have == want, f"{mode}: {name}"
    # The table means something: it covers success and every kind of refusal.
    statuses = {a["status"] for _, a in expected}
    assert {200, 401}.issubset(statuses), statuses
    if mode != "required":
        assert 403 in statuses
    if mode == "allowed":
        assert {"invalid_token", "invalid_dpop_proof", "insufficient_scope"}.issubset(
            {a["error"] for _, a in expected}
        )


def test_same_nonce_challenge_as_the_rust_quickstart(servers: Any) -> None:
    issuer, rust, python = servers("required", True)
    key = DpopKey()
    bound = issuer.token(sub="user-789", bound_to=key)
    answers = []
    for server in (rust, python):
        url = f"{server.base}/protected"
        with httpx.Client(timeout=30) as client:
            first = client.get(
                url,
                headers={
                    "authorization": f"DPoP {bound}",
                    "dpop": key.proof("GET", url, access_token=bound),
                },
            )
            nonce = first.headers.get("dpop-nonce")
            assert nonce, f"{server.base}: no DPoP-Nonce on the nonce challenge"
            second = client.get(
                url,
                headers={
                    "authorization": f"DPoP {bound}",
                    "dpop": key.proof("GET", url, access_token=bound, nonce=nonce),
                },
            )
        answers.append((answer(first), answer(second)))
    (rust_first, rust_second), (py_first, py_second) = answers
    assert rust_first["status"] == 401 and rust_first["error"] == "use_dpop_nonce"
    assert py_first == rust_first
    assert rust_second["status"] == 200
    assert py_second == rust_second
