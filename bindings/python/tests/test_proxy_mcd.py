"""Proxy trust through ``app.state.trust_proxy`` and the constructor, public URL, and
multiple custom domains (list and resolver)."""

from __future__ import annotations

import pytest
from auth0_rs.fastapi import Auth0FastAPI
from auth0_rs.testing import DpopKey, TestIssuer
from fastapi.testclient import TestClient

from .conftest import make_app

PUBLIC = "https://api.example.com/api/protected"
FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "api.example.com",
    "X-Forwarded-Prefix": "/api",
}


def proxied(issuer, key, url=PUBLIC):
    token = issuer.token(bound_to=key)
    return {
        "Authorization": f"DPoP {token}",
        "DPoP": key.proof("GET", url, access_token=token),
        **FORWARDED,
    }


def test_forwarded_headers_ignored_without_trust(issuer):
    auth0 = Auth0FastAPI(issuer=issuer.issuer, audience=issuer.audience)
    r = TestClient(make_app(auth0)).get("/protected", headers=proxied(issuer, DpopKey()))
    assert r.status_code == 401
    assert r.json()["detail"]["error_description"] == "DPoP proof htu mismatch"


def test_app_state_trust_proxy_true(issuer):
    auth0 = Auth0FastAPI(issuer=issuer.issuer, audience=issuer.audience)
    app = make_app(auth0)
    app.state.trust_proxy = True
    r = TestClient(app).get("/protected", headers=proxied(issuer, DpopKey()))
    assert r.status_code == 200, r.text


def test_app_state_trust_proxy_cidrs(issuer):
    auth0 = Auth0FastAPI(issuer=issuer.issuer, audience=issuer.audience)
    app = make_app(auth0)
    app.state.trust_proxy = ["10.0.0.0/8"]
    inside = TestClient(app, client=("10.1.2.3", 50000))
    outside = TestClient(app, client=("192.0.2.7", 50000))
    assert inside.get("/protected", headers=proxied(issuer, DpopKey())).status_code == 200
    assert outside.get("/protected", headers=proxied(issuer, DpopKey())).status_code == 401


def test_constructor_trust_proxy_cidrs(issuer):
    auth0 = Auth0FastAPI(issuer=issuer.issuer, audience=issuer.audience, trust_proxy=["10.0.0.0/8"])
    app = make_app(auth0)
    assert (
        TestClient(app, client=("10.9.9.9", 1))
        .get("/protected", headers=proxied(issuer, DpopKey()))
        .status_code
        == 200
    )


def test_public_url(issuer):
    auth0 = Auth0FastAPI(
        issuer=issuer.issuer, audience=issuer.audience, public_url="https://api.example.com/api"
    )
    key = DpopKey()
    token = issuer.token(bound_to=key)
    h = {"Authorization": f"DPoP {token}", "DPoP": key.proof("GET", PUBLIC, access_token=token)}
    assert TestClient(make_app(auth0)).get("/protected", headers=h).status_code == 200


def test_bad_trust_proxy_raises_at_construction(issuer):
    from auth0_rs import ConfigurationError

    with pytest.raises(ConfigurationError) as e:
        Auth0FastAPI(issuer=issuer.issuer, audience=issuer.audience, trust_proxy=["not-a-cidr"])
    assert e.value.field == "trust_proxy"


@pytest.fixture(scope="module")
def tenants():
    return TestIssuer(path="/tenant-a"), TestIssuer(path="/tenant-b")


def test_domains_list(tenants):
    a, b = tenants
    auth0 = Auth0FastAPI(domains=[a.issuer], audience=a.audience)
    c = TestClient(make_app(auth0))
    assert c.get("/protected", headers={"Authorization": f"Bearer {a.token()}"}).status_code == 200
    r = c.get("/protected", headers={"Authorization": f"Bearer {b.token()}"})
    assert r.status_code == 401
    assert r.json()["detail"]["error_description"] == "Token issuer not allowed"
    assert b.requests("discovery") == 0, "the issuer is checked before any network call"


def test_domains_sync_resolver(tenants):
    a, b = tenants
    seen = []

    def resolver(ctx):
        seen.append(ctx)
        return [b.issuer]

    auth0 = Auth0FastAPI(domains=resolver, audience=a.audience)
    c = TestClient(make_app(auth0))
    assert c.get("/protected", headers={"Authorization": f"Bearer {b.token()}"}).status_code == 200
    assert c.get("/protected", headers={"Authorization": f"Bearer {a.token()}"}).status_code == 401
    assert seen[0]["unverified_iss"] == b.issuer
    assert "authorization" not in seen[0]["request_headers"]
    assert seen[0]["request_url"].startswith("http://testserver/")


def test_domains_async_resolver(tenants):
    a, _ = tenants

    async def resolver(ctx):
        return [a.issuer]

    auth0 = Auth0FastAPI(domains=resolver, audience=a.audience)
    c = TestClient(make_app(auth0))
    assert c.get("/protected", headers={"Authorization": f"Bearer {a.token()}"}).status_code == 200


def test_failing_resolver_is_500_without_challenge(tenants):
    a, _ = tenants

    def resolver(ctx):
        raise RuntimeError("directory down")

    auth0 = Auth0FastAPI(domains=resolver, audience=a.audience)
    r = TestClient(make_app(auth0)).get(
        "/protected", headers={"Authorization": f"Bearer {a.token()}"}
    )
    assert r.status_code == 500
    assert r.json()["detail"]["error"] == "domains_resolver_error"
    assert "www-authenticate" not in r.headers
