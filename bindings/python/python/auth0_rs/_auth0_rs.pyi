"""Type stubs for the compiled module ``auth0_rs._auth0_rs``.

Private: use ``auth0_rs.ApiClient``, ``auth0_rs.fastapi`` and ``auth0_rs.testing``.
"""

from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, Callable, Optional, Union

__version__: str

Headers = Union[Sequence[tuple[bytes, bytes]], Sequence[tuple[str, str]], Mapping[str, str]]
Outcome = tuple[dict[str, Any], Optional[str]]

class Refusal(Exception):
    """A refused request: ``args == (status, error, description, headers, kind)``."""

class ConfigurationError(ValueError):
    """Invalid configuration: ``args == (message, field, kind)``."""

class ExchangeFailure(Exception):
    """A failed token exchange: ``args == (kind, message, status, issuer_status,
    issuer_error, issuer_error_description, argument)``."""

class ScopeCheck:
    """Scopes a route requires (all of them)."""

    def __init__(self, scopes: Sequence[str]) -> None: ...

class Verifier:
    """One configured Rust verifier."""

    def __init__(
        self,
        *,
        audience: Sequence[str],
        domain: Optional[str] = None,
        issuer: Optional[str] = None,
        dpop: str = "allowed",
        dpop_iat_leeway: float = 30.0,
        dpop_iat_offset: float = 300.0,
        leeway: float = 0.0,
        trust_proxy_all: bool = False,
        trust_proxy_networks: Optional[Sequence[str]] = None,
        public_url: Optional[str] = None,
        redis_url: Optional[str] = None,
        dpop_nonce: Union[bool, str, bytes, None] = None,
        domains: Optional[Sequence[str]] = None,
        domains_resolver: Optional[Callable[[dict[str, Any]], Any]] = None,
        cache_ttl_seconds: Optional[float] = None,
        cache_max_entries: Optional[int] = None,
    ) -> None: ...
    @property
    def dpop_mode(self) -> str: ...
    def with_trust_proxy(self, all: bool, networks: Optional[Sequence[str]] = None) -> Verifier: ...
    def verify(
        self,
        method: Union[str, bytes],
        scheme: str,
        path: Union[str, bytes],
        headers: Headers,
        peer: Optional[str] = None,
        scopes: Optional[ScopeCheck] = None,
    ) -> Union[Outcome, Awaitable[Outcome]]:
        """``(claims, dpop_nonce)`` at once when no I/O was needed, else an awaitable."""
    def verify_request(
        self,
        headers: Headers,
        http_method: Optional[str] = None,
        http_url: Optional[str] = None,
        scopes: Optional[ScopeCheck] = None,
    ) -> Union[Outcome, Awaitable[Outcome]]: ...
    def verify_access_token(self, access_token: str) -> Union[Outcome, Awaitable[Outcome]]: ...
    def token_exchange(
        self, client_id: str, client_secret: str, timeout: Optional[float] = None
    ) -> Exchange: ...

class Exchange:
    """Token exchange against the verifier's issuer."""

    def get_access_token_for_connection(
        self, connection: str, access_token: str, login_hint: Optional[str] = None
    ) -> Awaitable[dict[str, Any]]: ...
    def get_token_by_exchange_profile(
        self,
        subject_token: str,
        subject_token_type: str,
        audience: Optional[str] = None,
        scope: Optional[str] = None,
        requested_token_type: Optional[str] = None,
        extra: Optional[Sequence[tuple[str, Sequence[str]]]] = None,
    ) -> Awaitable[dict[str, Any]]: ...
    def get_token_on_behalf_of(
        self, access_token: str, audience: str, scope: Optional[str] = None
    ) -> Awaitable[dict[str, Any]]: ...

class DpopKey:
    """A DPoP client key pair (ES256 by default; any asymmetric JWS algorithm)."""

    def __init__(self, alg: str = "ES256") -> None: ...
    @property
    def thumbprint(self) -> str:
        """RFC 7638 thumbprint: the ``cnf.jkt`` of tokens bound to this key."""
    @property
    def public_jwk(self) -> dict[str, Any]: ...
    def proof(
        self,
        method: str,
        url: str,
        access_token: Optional[str] = None,
        nonce: Optional[str] = None,
        jti: Optional[str] = None,
        iat: Optional[int] = None,
        htm: Optional[str] = None,
        htu: Optional[str] = None,
        claims: Optional[dict[str, Any]] = None,
        headers: Optional[dict[str, Any]] = None,
    ) -> str:
        """A signed DPoP proof; ``None`` values in ``claims``/``headers`` remove members."""

class TestIssuer:
    """An OpenID Connect issuer on 127.0.0.1 (ephemeral port), in-process."""

    def __init__(self, audience: Optional[str] = None, path: Optional[str] = None) -> None: ...
    @property
    def issuer(self) -> str:
        """``http://127.0.0.1:PORT/``."""
    @property
    def authority(self) -> str: ...
    @property
    def audience(self) -> str: ...
    @property
    def jwks_uri(self) -> str: ...
    @property
    def token_endpoint(self) -> str: ...
    def token(
        self,
        sub: Optional[str] = "user",
        scope: Optional[str] = None,
        audience: Union[str, Sequence[str], None] = None,
        issuer: Optional[str] = None,
        permissions: Optional[Sequence[str]] = None,
        claims: Optional[dict[str, Any]] = None,
        expires_in: Optional[float] = None,
        expired: bool = False,
        bound_to: Optional[DpopKey] = None,
        key: Optional[str] = None,
        headers: Optional[dict[str, Any]] = None,
    ) -> str:
        """A signed access token; ``None`` values in ``claims``/``headers`` remove members."""
    def add_key(self, alg: str = "RS256") -> str: ...
    def rotate(self, alg: str = "RS256") -> str: ...
    def requests(self, endpoint: str) -> int: ...
    def set_behavior(self, endpoint: str, behavior: Union[str, int]) -> None: ...
    def set_token_response(
        self,
        status: int,
        body: Union[dict[str, Any], str],
        content_type: Optional[str] = None,
        delay: Optional[float] = None,
    ) -> None: ...
    def token_requests(self) -> list[dict[str, Any]]: ...
    def shutdown(self) -> None: ...
