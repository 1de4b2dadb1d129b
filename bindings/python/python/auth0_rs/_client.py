"""``ApiClient``: the framework-agnostic API of ``auth0-api-python``, on the Rust core."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Callable, Optional, Union

from . import _auth0_rs
from .errors import (
    ApiError,
    BaseAuthError,
    ConfigurationError,
    GetAccessTokenForConnectionError,
    GetTokenByExchangeProfileError,
    MissingRequiredArgumentError,
    from_refusal,
)

__all__ = ["ApiClient", "ApiClientOptions", "DomainsResolver", "DomainsResolverContext"]

DomainsResolverContext = dict[str, Any]
"""What a domains resolver receives: ``request_url``, ``request_headers`` (credentials
removed) and ``unverified_iss``."""

DomainsResolver = Callable[[DomainsResolverContext], Any]
"""A sync or async callable returning the list of allowed domains or issuer URLs."""

TrustProxy = Union[bool, Sequence[str], None]


class ApiClientOptions:
    """Options of :class:`ApiClient`, with the names and defaults of ``auth0-api-python``
    plus ours (``issuer``, ``trust_proxy``, ``public_url``, ``redis_url``, ``dpop_nonce``,
    ``leeway``). Validation happens when the client is built."""

    def __init__(
        self,
        domain: Optional[str] = None,
        audience: Union[str, Sequence[str]] = "",
        domains: Union[Sequence[str], DomainsResolver, None] = None,
        custom_fetch: Optional[Callable[..., Any]] = None,
        cache_adapter: Optional[Any] = None,
        cache_ttl_seconds: Union[int, float] = 600,
        cache_max_entries: int = 100,
        dpop_enabled: bool = True,
        dpop_required: bool = False,
        dpop_iat_leeway: Union[int, float] = 30,
        dpop_iat_offset: Union[int, float] = 300,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        timeout: float = 10.0,
        *,
        issuer: Optional[str] = None,
        trust_proxy: TrustProxy = None,
        public_url: Optional[str] = None,
        redis_url: Optional[str] = None,
        dpop_nonce: Union[bool, str, bytes, None] = None,
        leeway: Union[int, float] = 0,
    ) -> None:
        self.domain = domain
        self.audience = audience
        self.domains = domains
        self.custom_fetch = custom_fetch
        self.cache_adapter = cache_adapter
        self.cache_ttl_seconds = cache_ttl_seconds
        self.cache_max_entries = cache_max_entries
        self.dpop_enabled = dpop_enabled
        self.dpop_required = dpop_required
        self.dpop_iat_leeway = dpop_iat_leeway
        self.dpop_iat_offset = dpop_iat_offset
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self.issuer = issuer
        self.trust_proxy = trust_proxy
        self.public_url = public_url
        self.redis_url = redis_url
        self.dpop_nonce = dpop_nonce
        self.leeway = leeway


def _dpop_mode(enabled: bool, required: bool) -> str:
    if required and not enabled:
        raise ConfigurationError(
            "dpop_required=True needs dpop_enabled=True", "dpop_required", "Conflict"
        )
    if required:
        return "required"
    return "allowed" if enabled else "disabled"


def _trust(trust: Any) -> tuple[bool, Optional[list[str]]]:
    if trust is None or trust is False:
        return False, None
    if trust is True:
        return True, None
    if isinstance(trust, str):
        return False, [trust]
    if isinstance(trust, Sequence):
        return False, [str(t) for t in trust]
    raise ConfigurationError(
        "trust_proxy must be a bool or a list of CIDRs", "trust_proxy", "Malformed"
    )


def _config_error(e: BaseException) -> ConfigurationError:
    message, field, kind = e.args
    return ConfigurationError(message, field, kind)


def _build(o: ApiClientOptions) -> Any:
    if not o.audience:
        raise MissingRequiredArgumentError("audience")
    audiences = [o.audience] if isinstance(o.audience, str) else list(o.audience)
    if o.custom_fetch is not None:
        raise ConfigurationError(
            "custom_fetch is not supported: discovery and JWKS are fetched by the Rust core "
            "(with timeouts, size caps and single-flight); point `issuer` at your server instead",
            "custom_fetch",
            "Unsupported",
        )
    if o.cache_adapter is not None:
        raise ConfigurationError(
            "cache_adapter is not supported: keys are cached, parsed, by the Rust core; "
            "use cache_ttl_seconds and cache_max_entries",
            "cache_adapter",
            "Unsupported",
        )
    domains_list: Optional[list[str]] = None
    resolver = None
    if o.domains is not None:
        if callable(o.domains):
            resolver = o.domains
        elif isinstance(o.domains, (list, tuple)):
            if not o.domains:
                raise ConfigurationError("domains list cannot be empty", "domains", "Empty")
            if not all(isinstance(d, str) and d.strip() for d in o.domains):
                raise ConfigurationError(
                    "domains list must contain only non-empty strings", "domains", "Malformed"
                )
            domains_list = list(o.domains)
        else:
            raise ConfigurationError(
                "domains must be either a list of domain strings or a callable resolver function",
                "domains",
                "Malformed",
            )
    if not o.domain and not o.issuer and o.domains is None:
        raise ConfigurationError(
            "Must provide either 'domain' or 'domains' parameter. Use 'domain' for "
            "single-domain mode, 'domains' for multi-domain support.",
            "domain",
            "Missing",
        )
    if o.domain and o.issuer:
        raise ConfigurationError("set domain or issuer, not both", "issuer", "Conflict")
    if o.client_id and not (o.domain or o.issuer):
        raise ConfigurationError(
            "The 'domain' parameter is required when 'client_id' is configured.",
            "domain",
            "Missing",
        )
    if not isinstance(o.cache_ttl_seconds, (int, float)) or o.cache_ttl_seconds < 0:
        raise ConfigurationError(
            "cache_ttl_seconds must be a non-negative number", "cache_ttl_seconds", "OutOfRange"
        )
    if not isinstance(o.cache_max_entries, int) or o.cache_max_entries < 2:
        raise ConfigurationError(
            "cache_max_entries must be an integer greater than 1",
            "cache_max_entries",
            "OutOfRange",
        )
    trust_all, networks = _trust(o.trust_proxy)
    try:
        return _auth0_rs.Verifier(
            audience=audiences,
            domain=o.domain or None,
            issuer=o.issuer or None,
            dpop=_dpop_mode(o.dpop_enabled, o.dpop_required),
            dpop_iat_leeway=float(o.dpop_iat_leeway),
            dpop_iat_offset=float(o.dpop_iat_offset),
            leeway=float(o.leeway),
            trust_proxy_all=trust_all,
            trust_proxy_networks=networks,
            public_url=o.public_url,
            redis_url=o.redis_url,
            dpop_nonce=o.dpop_nonce,
            domains=domains_list,
            domains_resolver=resolver,
            # 0 means "always refetch" in the SDK; the core's floor is one second.
            cache_ttl_seconds=float(max(o.cache_ttl_seconds, 1)),
            cache_max_entries=o.cache_max_entries,
        )
    except _auth0_rs.ConfigurationError as e:
        raise _config_error(e) from None


def _extra_pairs(extra: Optional[Mapping[str, Any]]) -> Optional[list[tuple[str, list[str]]]]:
    if not extra:
        return None
    pairs = []
    for k, v in extra.items():
        if isinstance(v, (dict, set, frozenset, bytes, bytearray)):
            raise GetTokenByExchangeProfileError(
                f"Parameter '{k}' has unsupported type {type(v).__name__}. Only strings, "
                "numbers, booleans, and sequences (list/tuple) are allowed"
            )
        values = [str(x) for x in v] if isinstance(v, (list, tuple)) else [str(v)]
        pairs.append((str(k), values))
    return pairs


def _exchange_error(e: BaseException, flow: str) -> BaseAuthError:
    kind, message, status, issuer_status, issuer_error, issuer_description, argument = e.args
    input_error = (
        GetAccessTokenForConnectionError if flow == "connection" else GetTokenByExchangeProfileError
    )
    if kind == "MissingArgument":
        return MissingRequiredArgumentError(argument or "argument")
    if kind in ("InvalidSubjectToken", "ReservedParameter", "InvalidParameter"):
        return input_error(message)
    if kind in ("NotConfigured", "NoTokenEndpoint", "ClientAssertion"):
        return input_error(message)
    if kind == "Issuer":
        default = "connection_token_error" if flow == "connection" else "token_exchange_error"
        return ApiError(
            issuer_error or default,
            issuer_description or f"Token endpoint refused the request: {issuer_status}",
            issuer_status or 502,
        )
    if kind == "Timeout" or status == 504:
        return ApiError("timeout_error", message, 504)
    if kind == "Network":
        return ApiError("network_error", message, 502)
    if kind == "InvalidJson":
        return ApiError("invalid_json", "Token endpoint returned invalid JSON.", 502)
    if kind == "Discovery":
        return ApiError("discovery_error", message, status)
    return ApiError("invalid_response", message, status)


class ApiClient:
    """Verifies access tokens (Bearer and DPoP) and exchanges them, as
    ``auth0_api_python.ApiClient`` does. Usable from any asyncio framework.

    ``ApiClient(ApiClientOptions(domain=..., audience=...))`` or
    ``ApiClient(domain=..., audience=...)``. Construction validates the configuration and
    does no network I/O; keys are fetched on first use.
    """

    def __init__(self, options: Optional[ApiClientOptions] = None, **kwargs: Any) -> None:
        if options is None:
            options = ApiClientOptions(**kwargs)
        elif kwargs:
            raise TypeError("pass ApiClientOptions or keyword arguments, not both")
        self.options = options
        self._verifier = _build(options)
        self._exchange: Any = None

    def is_dpop_required(self) -> bool:
        """Whether only the DPoP scheme is accepted."""
        return bool(self.options.dpop_required)

    async def verify_request(
        self,
        headers: Mapping[str, str],
        http_method: Optional[str] = None,
        http_url: Optional[str] = None,
    ) -> dict[str, Any]:
        """Verifies a request's credentials (``Authorization``, and ``DPoP`` against
        ``http_method`` and ``http_url``); returns the claims or raises a
        :class:`~auth0_rs.errors.BaseAuthError` carrying status and headers."""
        try:
            r = self._verifier.verify_request(dict(headers), http_method, http_url)
            if not isinstance(r, tuple):
                r = await r
        except _auth0_rs.Refusal as e:
            raise from_refusal(e) from None
        claims: dict[str, Any] = r[0]
        return claims

    async def verify_access_token(
        self,
        access_token: str,
        request_url: Optional[str] = None,
        request_headers: Optional[Mapping[str, str]] = None,
        required_claims: Optional[Sequence[str]] = None,
    ) -> dict[str, Any]:
        """Verifies an access token alone (signature and claims; no DPoP binding)."""
        if not access_token:
            raise MissingRequiredArgumentError("access_token")
        try:
            r = self._verifier.verify_access_token(access_token)
            if not isinstance(r, tuple):
                r = await r
        except _auth0_rs.Refusal as e:
            raise from_refusal(e) from None
        claims: dict[str, Any] = r[0]
        for name in required_claims or ():
            if name not in claims:
                from .errors import VerifyAccessTokenError

                raise VerifyAccessTokenError(f"Missing required claim: {name}")
        return claims

    def _exchanger(self, error: type) -> Any:
        if self._exchange is None:
            o = self.options
            if not o.client_id or not o.client_secret:
                name = (
                    "get_access_token_for_connection"
                    if error is GetAccessTokenForConnectionError
                    else "get_token_by_exchange_profile"
                )
                raise error(
                    f"You must configure the SDK with a client_id and client_secret to use {name}."
                )
            try:
                self._exchange = self._verifier.token_exchange(
                    o.client_id, o.client_secret, float(o.timeout)
                )
            except _auth0_rs.ConfigurationError as e:
                raise _config_error(e) from None
        return self._exchange

    async def get_access_token_for_connection(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """Token Vault: an access token for the user's account at ``connection``.
        Returns ``{"access_token", "expires_at", "scope"}``."""
        connection = options.get("connection")
        access_token = options.get("access_token")
        if not connection:
            raise MissingRequiredArgumentError("connection")
        if not access_token:
            raise MissingRequiredArgumentError("access_token")
        ex = self._exchanger(GetAccessTokenForConnectionError)
        try:
            result: dict[str, Any] = await ex.get_access_token_for_connection(
                connection, access_token, options.get("login_hint") or None
            )
        except _auth0_rs.ExchangeFailure as e:
            raise _exchange_error(e, "connection") from None
        return result

    async def get_token_by_exchange_profile(
        self,
        subject_token: str,
        subject_token_type: str,
        audience: Optional[str] = None,
        scope: Optional[str] = None,
        requested_token_type: Optional[str] = None,
        extra: Optional[Mapping[str, Any]] = None,
    ) -> dict[str, Any]:
        """RFC 8693 custom token exchange. Returns ``access_token``, ``expires_in``,
        ``expires_at`` and, when present, ``scope``, ``id_token``, ``refresh_token``,
        ``token_type``, ``issued_token_type``."""
        if not subject_token:
            raise MissingRequiredArgumentError("subject_token")
        if not subject_token_type:
            raise MissingRequiredArgumentError("subject_token_type")
        pairs = _extra_pairs(extra)
        ex = self._exchanger(GetTokenByExchangeProfileError)
        try:
            result: dict[str, Any] = await ex.get_token_by_exchange_profile(
                subject_token, subject_token_type, audience, scope, requested_token_type, pairs
            )
        except _auth0_rs.ExchangeFailure as e:
            raise _exchange_error(e, "profile") from None
        return result

    async def get_token_on_behalf_of(
        self, access_token: str, audience: str, scope: Optional[str] = None
    ) -> dict[str, Any]:
        """RFC 8693 on-behalf-of: an access token for ``audience`` for the same user.
        Never exposes id or refresh tokens."""
        if not audience:
            raise MissingRequiredArgumentError("audience")
        if not access_token:
            raise MissingRequiredArgumentError("subject_token")
        ex = self._exchanger(GetTokenByExchangeProfileError)
        try:
            result: dict[str, Any] = await ex.get_token_on_behalf_of(access_token, audience, scope)
        except _auth0_rs.ExchangeFailure as e:
            raise _exchange_error(e, "obo") from None
        return result
