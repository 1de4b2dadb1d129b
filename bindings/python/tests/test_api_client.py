"""``auth0_rs.ApiClient`` without FastAPI: verification, every error class, act helpers,
configuration errors, and the fast path of the compiled module."""

from __future__ import annotations

import asyncio

import auth0_rs
import pytest
from auth0_rs import (
    ApiClient,
    ApiClientOptions,
    BaseAuthError,
    ConfigurationError,
    InsufficientScopeError,
    InvalidAuthSchemeError,
    InvalidDpopProofError,
    MissingAuthorizationError,
    MissingRequiredArgumentError,
    ServiceUnavailableError,
    VerifyAccessTokenError,
    _auth0_rs,
    get_current_actor,
    get_delegation_chain,
)
from auth0_rs.testing import DpopKey, TestIssuer


def run(coro):
    return asyncio.run(coro)


@pytest.fixture()
def api(issuer):
    return ApiClient(ApiClientOptions(issuer=issuer.issuer, audience=issuer.audience))


def test_verify_request_bearer(api, issuer):
    claims = run(api.verify_request({"authorization": f"Bearer {issuer.token(sub='u1')}"}))
    assert claims["sub"] == "u1"


def test_verify_request_dpop(api, issuer):
    key = DpopKey()
    token = issuer.token(bound_to=key)
    url = "https://api.example.com/orders"
    headers = {"Authorization": f"DPoP {token}", "DPoP": key.proof("POST", url, access_token=token)}
    claims = run(api.verify_request(headers, http_method="POST", http_url=url))
    assert claims["cnf"]["jkt"] == key.thumbprint


def test_verify_access_token(api, issuer):
    assert run(api.verify_access_token(issuer.token(sub="x")))["sub"] == "x"
    with pytest.raises(VerifyAccessTokenError) as e:
        run(api.verify_access_token(issuer.token(), required_claims=["org_id"]))
    assert e.value.get_status_code() == 401
    with pytest.raises(MissingRequiredArgumentError):
        run(api.verify_access_token(""))


def test_kwargs_constructor(issuer):
    api = ApiClient(issuer=issuer.issuer, audience=issuer.audience, dpop_required=True)
    assert api.is_dpop_required()


def test_error_classes_carry_core_status_and_headers(api, issuer):
    with pytest.raises(MissingAuthorizationError) as e:
        run(api.verify_request({}))
    assert e.value.get_status_code() == 401
    assert e.value.get_headers()["www-authenticate"].startswith('Bearer realm="api"')

    with pytest.raises(MissingAuthorizationError) as e:
        run(api.verify_request({"authorization": "Bearer"}))
    assert (e.value.get_status_code(), e.value.get_error_code()) == (400, "invalid_request")

    with pytest.raises(InvalidAuthSchemeError) as e:
        run(api.verify_request({"authorization": f"Bearer {issuer.token()}", "dpop": "x.y.z"}))
    assert (e.value.get_status_code(), e.value.get_error_code()) == (400, "invalid_request")

    with pytest.raises(VerifyAccessTokenError) as e:
        run(api.verify_request({"authorization": f"Bearer {issuer.token(audience='other')}"}))
    assert (e.value.get_status_code(), e.value.get_error_code()) == (401, "invalid_token")
    assert e.value.get_error_description() == "Invalid token audience"

    key = DpopKey()
    token = issuer.token(bound_to=key)
    proof = key.proof("GET", "https://a.example/x", access_token=token)
    with pytest.raises(InvalidDpopProofError) as e:
        run(
            api.verify_request(
                {"authorization": f"DPoP {token}", "dpop": proof}, "GET", "https://b.example/x"
            )
        )
    assert (e.value.get_status_code(), e.value.get_error_code()) == (401, "invalid_dpop_proof")
    assert isinstance(e.value, BaseAuthError)


def test_dpop_required_client_refuses_bearer(issuer):
    api = ApiClient(issuer=issuer.issuer, audience=issuer.audience, dpop_required=True)
    with pytest.raises(InvalidAuthSchemeError) as e:
        run(api.verify_request({"authorization": f"Bearer {issuer.token()}"}))
    assert e.value.get_status_code() == 401
    assert e.value.get_headers()["www-authenticate"].startswith("DPoP algs=")


def test_insufficient_scope_and_unavailable_classes(issuer):
    v = _auth0_rs.Verifier(issuer=issuer.issuer, audience=[issuer.audience])
    check = _auth0_rs.ScopeCheck(["admin"])

    async def go():
        r = v.verify(
            "GET",
            "http",
            "/",
            [(b"authorization", f"Bearer {issuer.token()}".encode())],
            None,
            check,
        )
        if not isinstance(r, tuple):
            await r

    with pytest.raises(_auth0_rs.Refusal) as e:
        run(go())
    err = auth0_rs.errors.from_refusal(e.value)
    assert isinstance(err, InsufficientScopeError)
    assert err.get_status_code() == 403
    assert 'scope="admin"' in err.get_headers()["www-authenticate"]

    down = TestIssuer()
    down.set_behavior("jwks", "garbage")
    api = ApiClient(issuer=down.issuer, audience=down.audience)
    with pytest.raises(ServiceUnavailableError) as e2:
        run(api.verify_request({"authorization": f"Bearer {down.token()}"}))
    assert e2.value.get_status_code() == 503
    assert "retry-after" in e2.value.get_headers()


def test_cached_token_verifies_without_a_task(issuer):
    v = _auth0_rs.Verifier(issuer=issuer.issuer, audience=[issuer.audience])
    token = issuer.token()
    headers = [(b"authorization", f"Bearer {token}".encode())]

    async def first():
        r = v.verify("GET", "http", "/", headers)
        return await r if not isinstance(r, tuple) else r

    run(first())
    # Keys and the token are cached: the result comes back at once, no awaitable.
    r = v.verify("GET", "http", "/", headers)
    assert isinstance(r, tuple)
    assert r[0]["sub"] == "user"
    # Refusals decided before any I/O are immediate too.
    with pytest.raises(_auth0_rs.Refusal):
        v.verify("GET", "http", "/", [])


def test_garbage_inputs_never_crash(issuer):
    v = _auth0_rs.Verifier(issuer=issuer.issuer, audience=[issuer.audience])
    for headers in (
        [(b"authorization", b"\xff\xfe")],
        [(b"bad name", b"x")],
        [(b"authorization", b"DPoP " + b"a" * 70000), (b"dpop", b"x")],
        {"authorization": "Bearer a.b.c", "dpop": "x,y"},
    ):
        try:
            r = v.verify("GET", "http", b"/\xff", headers)
            if not isinstance(r, tuple):
                run(r)
        except _auth0_rs.Refusal as e:
            assert e.args[0] in (400, 401)
    with pytest.raises(ValueError):
        v.verify("G E T", "http", "/", [])


def test_configuration_errors_are_immediate_and_clear(issuer):
    with pytest.raises(MissingRequiredArgumentError):
        ApiClient(domain="t.example.com")
    with pytest.raises(ConfigurationError) as e:
        ApiClient(audience="a")
    assert "domain" in str(e.value)
    with pytest.raises(ConfigurationError) as e:
        ApiClient(issuer="http://id.example.com/", audience="a")
    assert e.value.field == "issuer"
    with pytest.raises(ConfigurationError):
        ApiClient(domain="t.example.com", audience="a", domains=[])
    with pytest.raises(ConfigurationError):
        ApiClient(domain="t.example.com", audience="a", cache_max_entries=1)
    with pytest.raises(ConfigurationError):
        ApiClient(domain="t.example.com", audience="a", dpop_enabled=False, dpop_required=True)
    with pytest.raises(ConfigurationError):
        ApiClient(domain="t.example.com", audience="a", custom_fetch=lambda url: None)
    with pytest.raises(ValueError):
        from auth0_rs.fastapi import Auth0FastAPI

        Auth0FastAPI(domain="t.example.com")
    # Valid configuration does no network I/O: an unreachable domain is fine until used.
    ApiClient(domain="unreachable.invalid", audience="a")


def test_act_helpers():
    claims = {"sub": "user", "act": {"sub": "agent", "act": {"sub": "tool"}}}
    assert get_current_actor(claims) == "agent"
    assert get_delegation_chain(claims) == ["agent", "tool"]
    assert get_current_actor({"sub": "u"}) is None
    assert get_delegation_chain({"sub": "u"}) == []
    for bad in ({"act": "x"}, {"act": {"sub": " "}}, "not a dict"):
        with pytest.raises(VerifyAccessTokenError):
            get_delegation_chain(bad)
