"""Shared fixtures: one in-process issuer per session (tests that break an issuer start
their own), and helpers to build a FastAPI app protected by ``auth0_rs``."""

from __future__ import annotations

import auth0_rs
import pytest
from auth0_rs.fastapi import Auth0FastAPI
from auth0_rs.testing import TestIssuer
from fastapi import Depends, FastAPI


def pytest_sessionstart(session: pytest.Session) -> None:
    # The tests exercise the installed package, never the source tree.
    assert "site-packages" in auth0_rs.__file__, auth0_rs.__file__


@pytest.fixture(scope="session")
def issuer() -> TestIssuer:
    return TestIssuer()


def make_app(auth0: Auth0FastAPI) -> FastAPI:
    """The routes of the product's quickstart, in every route style."""
    app = FastAPI()

    @app.get("/public")
    async def public() -> dict:
        return {"message": "No token required here"}

    @app.get("/protected")
    async def protected(claims: dict = Depends(auth0.require_auth())) -> dict:
        return {"message": f"Hello, {claims['sub']}"}

    @app.get("/guarded", dependencies=[Depends(auth0.require_auth())])
    async def guarded() -> dict:
        return {"msg": "You need to have an access token to see this endpoint."}

    @app.get("/data")
    async def read_data(claims: dict = Depends(auth0.require_auth(scopes="read:data"))) -> dict:
        return {"data": "secret info"}

    @app.post("/data")
    async def write_data(claims: dict = Depends(auth0.require_auth(scopes=["write:data"]))) -> dict:
        return {"written": True}

    @app.get(
        "/both", dependencies=[Depends(auth0.require_auth(scopes=["read:data", "write:data"]))]
    )
    async def both() -> dict:
        return {"ok": True}

    @app.get("/sync-route")
    def sync_route(claims: dict = Depends(auth0.require_auth())) -> dict:
        return {"sub": claims["sub"]}

    return app
