"""The FastAPI front end: route styles, DPoP modes, scopes, refusals (SPEC §7)."""

from __future__ import annotations

import pytest
from auth0_rs.fastapi import Auth0FastAPI
from auth0_rs.testing import DpopKey, TestIssuer
from fastapi.testclient import TestClient

from .conftest import make_app

ALGS = "RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519"


def client_for(issuer: TestIssuer, **kwargs) -> TestClient:
    auth0 = Auth0FastAPI(issuer=issuer.issuer, audience=issuer.audience, **kwargs)
    return TestClient(make_app(auth0))


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_public_route_needs_nothing(issuer):
    r = client_for(issuer).get("/public")
    assert r.status_code == 200
    assert r.json() == {"message": "No token required here"}


def test_claims_as_parameter(issuer):
    r = client_for(issuer).get("/protected", headers=bearer(issuer.token(sub="user123")))
    assert r.status_code == 200, r.text
    assert r.json() == {"message": "Hello, user123"}


def test_dependencies_list_and_sync_route(issuer):
    c = client_for(issuer)
    t = issuer.token()
    assert c.get("/guarded", headers=bearer(t)).status_code == 200
    assert c.get("/sync-route", headers=bearer(t)).json() == {"sub": "user"}
    assert c.get("/guarded").status_code == 401


def test_claims_dict_has_custom_claims(issuer):
    c = client_for(issuer)
    auth0 = Auth0FastAPI(issuer=issuer.issuer, audience=issuer.audience)
    from fastapi import Depends, FastAPI

    app = FastAPI()

    @app.get("/custom")
    async def custom(claims: dict = Depends(auth0.require_auth())) -> dict:
        return {
            "permissions": claims.get("permissions", []),
            "n": claims["n"],
            "iss": claims["iss"],
        }

    t = issuer.token(permissions=["read:data"], claims={"n": {"a": [1, 2.5, True, None]}})
    r = TestClient(app).get("/custom", headers=bearer(t))
    assert r.json() == {
        "permissions": ["read:data"],
        "n": {"a": [1, 2.5, True, None]},
        "iss": issuer.issuer,
    }
    del c


def test_missing_credentials_is_401_with_bare_challenges(issuer):
    r = client_for(issuer).get("/protected")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == f'Bearer realm="api", DPoP algs="{ALGS}"'
    assert "error=" not in r.headers["www-authenticate"]


def test_invalid_token(issuer):
    r = client_for(issuer).get("/protected", headers=bearer(issuer.token(expired=True)))
    assert r.status_code == 401
    assert r.json() == {"detail": {"error": "invalid_token", "error_description": "Token expired"}}
    assert r.headers["www-authenticate"] == (
        'Bearer realm="api", error="invalid_token", error_description="Token expired", '
        f'DPoP algs="{ALGS}"'
    )


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer not.a.jwt", "Bearer a.b.c", "Bearer " + "x" * 20000, "Bearer \u00e9\u00e9"],
)
def test_malformed_credentials_never_500(issuer, authorization):
    r = client_for(issuer).get(
        "/protected", headers={"Authorization": authorization.encode("utf-8")}
    )
    assert r.status_code in (400, 401), r.text
    assert r.json()["detail"]["error"] in ("invalid_request", "invalid_token", "unauthorized")


def test_several_authorization_headers_is_400(issuer):
    t = issuer.token()
    r = client_for(issuer).get(
        "/protected", headers=[("Authorization", f"Bearer {t}"), ("Authorization", f"Bearer {t}")]
    )
    assert r.status_code == 400
    assert r.json()["detail"]["error"] == "invalid_request"


def test_scopes_string_and_list(issuer):
    c = client_for(issuer)
    reader = issuer.token(scope="read:data")
    writer = issuer.token(scope="write:data")
    both = issuer.token(scope="read:data write:data")
    assert c.get("/data", headers=bearer(reader)).status_code == 200
    assert c.post("/data", headers=bearer(writer)).status_code == 200
    assert c.get("/both", headers=bearer(both)).status_code == 200
    r = c.get("/data", headers=bearer(writer))
    assert r.status_code == 403
    assert r.json() == {
        "detail": {"error": "insufficient_scope", "error_description": "Insufficient scope"}
    }
    assert r.headers["www-authenticate"] == (
        'Bearer realm="api", error="insufficient_scope", '
        'error_description="Insufficient scope", scope="read:data", '
        f'DPoP algs="{ALGS}"'
    )
    assert c.get("/both", headers=bearer(reader)).status_code == 403


def dpop_headers(issuer, key, method, url, **proof):
    token = issuer.token(bound_to=key)
    return {
        "Authorization": f"DPoP {token}",
        "DPoP": key.proof(method, url, access_token=token, **proof),
    }


def test_dpop_allowed_mode_accepts_both(issuer):
    c = client_for(issuer)
    key = DpopKey()
    r = c.get("/protected", headers=dpop_headers(issuer, key, "GET", "http://testserver/protected"))
    assert r.status_code == 200, r.text
    assert c.get("/protected", headers=bearer(issuer.token())).status_code == 200


def test_dpop_bound_token_never_downgrades_to_bearer(issuer):
    token = issuer.token(bound_to=DpopKey())
    r = client_for(issuer).get("/protected", headers=bearer(token))
    assert r.status_code == 401
    assert r.json()["detail"]["error"] == "invalid_token"


def test_dpop_required_mode_refuses_bearer(issuer):
    c = client_for(issuer, dpop_required=True)
    r = c.get("/protected", headers=bearer(issuer.token()))
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == f'DPoP algs="{ALGS}"'
    key = DpopKey()
    ok = c.get(
        "/protected", headers=dpop_headers(issuer, key, "GET", "http://testserver/protected")
    )
    assert ok.status_code == 200


def test_dpop_disabled_mode_refuses_dpop(issuer):
    c = client_for(issuer, dpop_enabled=False)
    key = DpopKey()
    r = c.get("/protected", headers=dpop_headers(issuer, key, "GET", "http://testserver/protected"))
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Bearer realm="api"'
    assert c.get("/protected", headers=bearer(issuer.token())).status_code == 200


@pytest.mark.parametrize(
    "proof, description",
    [
        ({"htu": "http://testserver/other"}, "DPoP proof htu mismatch"),
        ({"htm": "POST"}, "DPoP proof htm mismatch"),
        ({"iat": 1}, "DPoP proof iat outside the accepted window"),
    ],
)
def test_bad_dpop_proofs(issuer, proof, description):
    key = DpopKey()
    h = dpop_headers(issuer, key, "GET", "http://testserver/protected", **proof)
    r = client_for(issuer).get("/protected", headers=h)
    assert r.status_code == 401
    assert r.json()["detail"] == {"error": "invalid_dpop_proof", "error_description": description}
    assert 'error="invalid_dpop_proof"' in r.headers["www-authenticate"]


def test_missing_dpop_proof(issuer):
    token = issuer.token(bound_to=DpopKey())
    r = client_for(issuer).get("/protected", headers={"Authorization": f"DPoP {token}"})
    assert r.status_code == 401
    assert r.json()["detail"]["error"] == "invalid_dpop_proof"


def test_replayed_proof_is_refused(issuer):
    c = client_for(issuer)
    h = dpop_headers(issuer, DpopKey(), "GET", "http://testserver/protected")
    assert c.get("/protected", headers=h).status_code == 200
    r = c.get("/protected", headers=h)
    assert r.status_code == 401
    assert r.json()["detail"]["error_description"] == "DPoP proof replayed"


def test_server_nonces(issuer):
    c = client_for(issuer, dpop_nonce=True)
    key = DpopKey()
    token = issuer.token(bound_to=key)
    url = "http://testserver/protected"
    r = c.get(
        "/protected",
        headers={
            "Authorization": f"DPoP {token}",
            "DPoP": key.proof("GET", url, access_token=token),
        },
    )
    assert r.status_code == 401
    assert r.json()["detail"]["error"] == "use_dpop_nonce"
    nonce = r.headers["dpop-nonce"]
    assert 'error="use_dpop_nonce"' in r.headers["www-authenticate"]
    proof = key.proof("GET", url, access_token=token, nonce=nonce)
    ok = c.get("/protected", headers={"Authorization": f"DPoP {token}", "DPoP": proof})
    assert ok.status_code == 200, ok.text
    assert ok.headers.get("dpop-nonce")


def test_keys_unavailable_is_503_with_retry_after():
    down = TestIssuer()
    down.set_behavior("jwks", 500)
    c = client_for(down)
    r = c.get("/protected", headers=bearer(down.token()))
    assert r.status_code == 503
    assert r.json()["detail"]["error"] == "temporarily_unavailable"
    assert r.headers["retry-after"]
    assert "www-authenticate" not in r.headers


def test_one_jwks_fetch_for_many_requests():
    fresh = TestIssuer()
    c = client_for(fresh)
    for _ in range(20):
        assert c.get("/protected", headers=bearer(fresh.token())).status_code == 200
    assert fresh.requests("jwks") == 1
    assert fresh.requests("discovery") == 1
