"""Protect Python APIs with OAuth 2.0 access tokens from Auth0 (Bearer and DPoP, RFC 9449),
verified by the Rust core of auth0-rs.

- :class:`ApiClient`: the API of ``auth0-api-python`` (verify, token exchange), for any
  asyncio framework.
- ``auth0_rs.fastapi.Auth0FastAPI``: the API of ``auth0-fastapi-api``.
- ``auth0_rs.testing``: an in-process issuer for tests.
"""

from __future__ import annotations

from ._auth0_rs import __version__
from ._client import ApiClient, ApiClientOptions, DomainsResolver, DomainsResolverContext
from .act import get_current_actor, get_delegation_chain
from .errors import (
    ApiError,
    BaseAuthError,
    ConfigurationError,
    DomainsResolverError,
    GetAccessTokenForConnectionError,
    GetTokenByExchangeProfileError,
    InsufficientScopeError,
    InvalidAuthSchemeError,
    InvalidDpopProofError,
    MissingAuthorizationError,
    MissingRequiredArgumentError,
    ServiceUnavailableError,
    VerifyAccessTokenError,
)

__all__ = [
    "ApiClient",
    "ApiClientOptions",
    "ApiError",
    "BaseAuthError",
    "ConfigurationError",
    "DomainsResolver",
    "DomainsResolverContext",
    "DomainsResolverError",
    "GetAccessTokenForConnectionError",
    "GetTokenByExchangeProfileError",
    "InsufficientScopeError",
    "InvalidAuthSchemeError",
    "InvalidDpopProofError",
    "MissingAuthorizationError",
    "MissingRequiredArgumentError",
    "ServiceUnavailableError",
    "VerifyAccessTokenError",
    "__version__",
    "get_current_actor",
    "get_delegation_chain",
]
