"""Test helpers: a real OAuth 2.0 / OpenID Connect issuer in-process (the Rust
``TestIssuer``), minting access tokens and DPoP proofs, so tests need neither Auth0 nor HTTP
mocks::

    from auth0_rs.testing import TestIssuer, DpopKey

    issuer = TestIssuer()
    auth0 = Auth0FastAPI(issuer=issuer.issuer, audience=issuer.audience)
    token = issuer.token(sub="user123", scope="read:data")
    client.get("/data", headers={"Authorization": f"Bearer {token}"})

The issuer serves discovery, JWKS and a scriptable token endpoint on ``127.0.0.1`` with an
ephemeral port until it is garbage-collected or :meth:`TestIssuer.shutdown` is called.
Keys are generated at start; none ships in the package.
"""

from __future__ import annotations

from ._auth0_rs import DpopKey, TestIssuer

__all__ = ["DpopKey", "TestIssuer"]
