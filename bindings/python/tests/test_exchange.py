"""Token exchange against the TestIssuer's token endpoint, with the SDK's result keys and
error classes."""

from __future__ import annotations

import asyncio
import base64

import pytest
from auth0_rs import (
    ApiError,
    GetAccessTokenForConnectionError,
    GetTokenByExchangeProfileError,
    MissingRequiredArgumentError,
)
from auth0_rs.fastapi import Auth0FastAPI
from auth0_rs.testing import TestIssuer


def run(coro):
    return asyncio.run(coro)


@pytest.fixture()
def ex_issuer():
    return TestIssuer()


def client(iss, **kw):
    return Auth0FastAPI(
        issuer=iss.issuer,
        audience=iss.audience,
        client_id="my client",
        client_secret="s3cr:t&",
        **kw,
    ).api_client


def test_connection_token(ex_issuer):
    ex_issuer.set_token_response(
        200, {"access_token": "upstream", "expires_in": 60, "scope": "cal"}
    )
    result = run(
        client(ex_issuer).get_access_token_for_connection(
            {"connection": "google-oauth2", "access_token": "incoming", "login_hint": "u@x"}
        )
    )
    assert set(result) == {"access_token", "expires_at", "scope"}
    assert result["access_token"] == "upstream"
    assert result["scope"] == "cal"
    (req,) = ex_issuer.token_requests()
    form = dict(req["form"])
    assert form["grant_type"] == (
        "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"
    )
    assert form["connection"] == "google-oauth2"
    assert form["subject_token"] == "incoming"
    assert form["login_hint"] == "u@x"
    # RFC 6749 §2.3.1: credentials are form-urlencoded before Basic encoding.
    raw = base64.b64decode(req["authorization"].split()[1]).decode()
    assert raw == "my+client:s3cr%3At%26"
    assert req["basic"] == ("my client", "s3cr:t&")


def test_exchange_profile_and_obo(ex_issuer):
    ex_issuer.set_token_response(
        200,
        {
            "access_token": "new",
            "expires_in": 100,
            "token_type": "Bearer",
            "id_token": "idt",
            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
        },
    )
    api = client(ex_issuer)
    r = run(
        api.get_token_by_exchange_profile(
            "legacy", "urn:acme:legacy", audience="https://b", extra={"tenant": ["a", "b"], "n": 3}
        )
    )
    assert r["access_token"] == "new" and r["expires_in"] == 100 and r["id_token"] == "idt"
    form = ex_issuer.token_requests()[-1]["form"]
    assert ("tenant", "a") in form and ("tenant", "b") in form and ("n", "3") in form
    obo = run(api.get_token_on_behalf_of("incoming", "https://billing"))
    assert obo["access_token"] == "new"
    assert "id_token" not in obo and "refresh_token" not in obo


def test_issuer_refusal_keeps_issuer_code_and_status(ex_issuer):
    ex_issuer.set_token_response(403, {"error": "access_denied", "error_description": "nope"})
    with pytest.raises(ApiError) as e:
        run(client(ex_issuer).get_token_on_behalf_of("t", "https://b"))
    assert (e.value.code, e.value.get_status_code(), e.value.message) == (
        "access_denied",
        403,
        "nope",
    )
    ex_issuer.set_token_response(429, "slow down", content_type="text/plain")
    with pytest.raises(ApiError) as e:
        run(
            client(ex_issuer).get_access_token_for_connection(
                {"connection": "c", "access_token": "t"}
            )
        )
    assert (e.value.code, e.value.status_code) == ("connection_token_error", 429)


def test_transport_failures(ex_issuer):
    api = client(ex_issuer, timeout=0.5)
    ex_issuer.set_token_response(200, {"access_token": "x"}, delay=3.0)
    with pytest.raises(ApiError) as e:
        run(api.get_token_on_behalf_of("t", "https://b"))
    assert (e.value.code, e.value.status_code) == ("timeout_error", 504)
    ex_issuer.set_token_response(200, "not json", content_type="application/json")
    with pytest.raises(ApiError) as e:
        run(api.get_token_on_behalf_of("t", "https://b"))
    assert (e.value.code, e.value.status_code) == ("invalid_json", 502)
    ex_issuer.set_token_response(200, {"expires_in": 5})
    with pytest.raises(ApiError) as e:
        run(api.get_token_on_behalf_of("t", "https://b"))
    assert (e.value.code, e.value.status_code) == ("invalid_response", 502)
    ex_issuer.set_behavior("token", "drop")
    with pytest.raises(ApiError) as e:
        run(api.get_token_on_behalf_of("t", "https://b"))
    assert (e.value.code, e.value.status_code) == ("network_error", 502)


def test_input_errors_send_nothing(ex_issuer):
    api = client(ex_issuer)
    with pytest.raises(MissingRequiredArgumentError):
        run(api.get_access_token_for_connection({"access_token": "t"}))
    with pytest.raises(MissingRequiredArgumentError):
        run(api.get_token_on_behalf_of("t", ""))
    for bad in (" t", "Bearer t"):
        with pytest.raises(GetTokenByExchangeProfileError):
            run(api.get_token_by_exchange_profile(bad, "urn:x"))
    with pytest.raises(GetTokenByExchangeProfileError):
        run(api.get_token_by_exchange_profile("t", "urn:x", extra={"grant_type": "x"}))
    with pytest.raises(GetTokenByExchangeProfileError):
        run(
            api.get_token_by_exchange_profile(
                "t", "urn:x", extra={"k": [str(i) for i in range(21)]}
            )
        )
    with pytest.raises(GetTokenByExchangeProfileError):
        run(api.get_token_by_exchange_profile("t", "urn:x", extra={"k": {"a": 1}}))
    assert ex_issuer.token_requests() == []
    no_creds = Auth0FastAPI(issuer=ex_issuer.issuer, audience="a").api_client
    with pytest.raises(GetAccessTokenForConnectionError):
        run(no_creds.get_access_token_for_connection({"connection": "c", "access_token": "t"}))
