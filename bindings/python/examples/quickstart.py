"""The quickstart API in Python: FastAPI + ``auth0_rs``, written as the ``auth0-fastapi-api``
README writes it, with the routes, environment and answers of the Rust quickstart
(``cargo run -p auth0-axum-api --example quickstart``).

Run it with one uvicorn worker::

    AUTH0_DOMAIN=my-tenant.us.auth0.com AUTH0_AUDIENCE=https://my-api/ \\
        uvicorn --app-dir bindings/python/examples quickstart:app --port 3000

Environment (the same as the Rust quickstart):

- ``AUTH0_DOMAIN`` or ``AUTH0_ISSUER``: the issuer. With neither, an embedded test issuer
  (``auth0_rs.testing.TestIssuer``) is started and a few tokens are printed.
- ``AUTH0_AUDIENCE``: the API identifier (required with a real issuer).
- ``AUTH0_DPOP``: ``disabled``, ``allowed`` (default) or ``required``.
- ``AUTH0_PUBLIC_URL``: the public base URL DPoP proofs are checked against.
- ``AUTH0_REDIS_URL``: keep DPoP proof ``jti`` values in Redis, shared by every instance.
- ``AUTH0_DPOP_NONCE=on``: require DPoP server nonces; instances behind one load balancer
  share ``AUTH0_DPOP_NONCE_SECRET`` (at least 32 bytes).
"""

from __future__ import annotations

import os
from typing import Optional

from auth0_rs.fastapi import Auth0FastAPI  # was: from fastapi_plugin.fast_api_client import ...
from fastapi import Depends, FastAPI


def _env(name: str) -> Optional[str]:
    value = os.environ.get(name, "").strip()
    return value or None


def _dpop_flags(mode: str) -> tuple[bool, bool]:
    """``AUTH0_DPOP`` as ``auth0-fastapi-api``'s ``(dpop_enabled, dpop_required)``."""
    modes = {"disabled": (False, False), "allowed": (True, False), "required": (True, True)}
    if mode not in modes:
        raise SystemExit(f"AUTH0_DPOP must be disabled, allowed or required, not {mode!r}")
    return modes[mode]


def _nonce() -> object:
    setting = (_env("AUTH0_DPOP_NONCE") or "off").lower()
    if setting in ("off", "false", "0"):
        return None
    if setting not in ("on", "true", "1"):
        raise SystemExit(f"AUTH0_DPOP_NONCE must be on or off, not {setting!r}")
    return _env("AUTH0_DPOP_NONCE_SECRET") or True


dpop_enabled, dpop_required = _dpop_flags(_env("AUTH0_DPOP") or "allowed")
domain = _env("AUTH0_DOMAIN")
issuer_url = _env("AUTH0_ISSUER")
audience = _env("AUTH0_AUDIENCE")
test_issuer = None
if domain is None and issuer_url is None:
    from auth0_rs.testing import TestIssuer

    test_issuer = TestIssuer(audience=audience)
    issuer_url = test_issuer.issuer
    audience = test_issuer.audience
if audience is None:
    raise SystemExit("AUTH0_AUDIENCE is required with AUTH0_DOMAIN or AUTH0_ISSUER")

auth0 = Auth0FastAPI(
    domain=domain,
    audience=audience,
    dpop_enabled=dpop_enabled,
    dpop_required=dpop_required,
    issuer=None if domain else issuer_url,
    public_url=_env("AUTH0_PUBLIC_URL"),
    redis_url=_env("AUTH0_REDIS_URL"),
    dpop_nonce=_nonce(),
)

app = FastAPI()


@app.get("/public")
async def public() -> dict:
    return {"message": "Hello from a public endpoint"}


@app.get("/protected")
async def protected(claims: dict = Depends(auth0.require_auth())) -> dict:
    return {"message": f"Hello, {claims.get('sub', '?')}"}


@app.get("/data")
async def read_data(claims: dict = Depends(auth0.require_auth(scopes="read:data"))) -> dict:
    return {"data": ["alpha", "beta"], "sub": claims.get("sub")}


@app.post("/data")
async def write_data(claims: dict = Depends(auth0.require_auth(scopes=["write:data"]))) -> dict:
    return {"written": True, "sub": claims.get("sub")}


if test_issuer is not None:
    print(f"embedded test issuer: {test_issuer.issuer} (audience {test_issuer.audience})")
    print("bearer token (sub user-123, scope read:data):")
    print(f"  {test_issuer.token(sub='user-123', scope='read:data')}")
    print("bearer token without scopes (sub user-456):")
    print(f"  {test_issuer.token(sub='user-456')}", flush=True)
