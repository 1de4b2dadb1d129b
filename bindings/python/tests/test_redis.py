"""``redis_url``: instances sharing one ``redis-server`` refuse a DPoP proof replayed from one
to another; an unreachable Redis fails closed (503) for DPoP and leaves Bearer alone.

Each test module starts its own ``redis-server`` on a Unix socket in a temporary directory
(no TCP port to race for). Outside CI, a machine without ``redis-server`` skips these tests;
with ``CI`` set, a missing binary fails them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import pytest
from auth0_rs.fastapi import Auth0FastAPI
from auth0_rs.testing import DpopKey, TestIssuer
from fastapi.testclient import TestClient

from .conftest import make_app


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail(
                "redis-server not found on PATH; CI requires it (apt-get install redis-server)"
            )
        pytest.skip("redis-server not found on PATH (apt-get install redis-server)")
    with tempfile.TemporaryDirectory() as tmp:
        sock = Path(tmp) / "redis.sock"
        proc = subprocess.Popen(
            [binary, "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                # "Ready to accept connections" or, with a socket, "ready to accept
                # connections at PATH", depending on the version.
                if "ready to accept connections" in line.lower():
                    break
            else:
                raise AssertionError(f"redis-server exited early: {proc.wait()}")
            stdout = proc.stdout
            threading.Thread(target=lambda: [None for _ in stdout], daemon=True).start()
            yield f"redis+unix://{sock}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _instance(issuer: TestIssuer, redis_url: Optional[str]) -> TestClient:
    auth0 = Auth0FastAPI(issuer=issuer.issuer, audience=issuer.audience, redis_url=redis_url)
    return TestClient(make_app(auth0))


def _dpop(issuer: TestIssuer) -> dict[str, str]:
    key = DpopKey()
    token = issuer.token(bound_to=key)
    proof = key.proof("GET", "http://testserver/protected", access_token=token)
    return {"Authorization": f"DPoP {token}", "DPoP": proof}


def test_a_proof_replayed_to_another_instance_is_refused(
    issuer: TestIssuer, redis_url: str
) -> None:
    first, second = _instance(issuer, redis_url), _instance(issuer, redis_url)
    headers = _dpop(issuer)
    assert first.get("/protected", headers=headers).status_code == 200
    r = second.get("/protected", headers=headers)
    assert r.status_code == 401
    assert r.json()["detail"]["error"] == "invalid_dpop_proof"
    assert 'error="invalid_dpop_proof"' in r.headers["www-authenticate"]
    # Fresh proofs keep working on both instances.
    assert second.get("/protected", headers=_dpop(issuer)).status_code == 200
    assert first.get("/protected", headers=_dpop(issuer)).status_code == 200


def test_without_a_shared_store_each_instance_only_sees_its_own_proofs(issuer: TestIssuer) -> None:
    # The control for the test above: per-process stores do not share what they saw.
    first, second = _instance(issuer, None), _instance(issuer, None)
    headers = _dpop(issuer)
    assert first.get("/protected", headers=headers).status_code == 200
    assert second.get("/protected", headers=headers).status_code == 200
    assert first.get("/protected", headers=headers).status_code == 401


def test_an_unreachable_redis_fails_closed_for_dpop_only(issuer: TestIssuer) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        client = _instance(issuer, f"redis+unix://{Path(tmp) / 'nobody-listens.sock'}")
        r = client.get("/protected", headers=_dpop(issuer))
        assert r.status_code == 503
        assert r.headers.get("retry-after")
        token = issuer.token()
        assert (
            client.get("/protected", headers={"Authorization": f"Bearer {token}"}).status_code
            == 200
        )


def test_a_bad_redis_url_raises_at_construction(issuer: TestIssuer) -> None:
    with pytest.raises(ValueError, match="redis_url"):
        Auth0FastAPI(issuer=issuer.issuer, audience=issuer.audience, redis_url="not a url")
