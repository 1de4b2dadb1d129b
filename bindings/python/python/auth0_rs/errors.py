"""Error classes with the names and methods of ``auth0-api-python``.

Every error has ``get_status_code()``, ``get_error_code()``, ``get_error_description()`` and
``get_headers()``. Errors raised for a refused request carry the status, code and headers the
Rust core decided (SPEC §7), so they can be sent back unchanged; the class defaults below
apply only when an error is raised without a request.
"""

from __future__ import annotations

from typing import Any, Optional

__all__ = [
    "ApiError",
    "BaseAuthError",
    "ConfigurationError",
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
]


class BaseAuthError(Exception):
    """Base class of every error this package raises for a request or a token exchange."""

    status_code: int = 500
    error_code: str = "internal_error"

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.name = type(self).__name__
        self._headers: dict[str, str] = {}
        self._status: int = type(self).status_code
        self._code: str = type(self).error_code
        self.kind: Optional[str] = None

    def get_status_code(self) -> int:
        """The HTTP status to answer with."""
        return self._status

    def get_error_code(self) -> str:
        """The OAuth error code (``invalid_token``, ``invalid_dpop_proof``, ...)."""
        return self._code

    def get_error_description(self) -> str:
        """A short, fixed description; it never echoes the request."""
        return self.message

    def get_headers(self) -> dict[str, str]:
        """Headers to send: ``WWW-Authenticate``, ``DPoP-Nonce``, ``Retry-After`` as they apply."""
        return dict(self._headers)


class MissingRequiredArgumentError(BaseAuthError):
    """A required argument was not provided (400 ``invalid_request``)."""

    status_code = 400
    error_code = "invalid_request"

    def __init__(self, argument: str, message: Optional[str] = None) -> None:
        super().__init__(message or f"The argument '{argument}' is required but was not provided.")
        self.argument = argument


class VerifyAccessTokenError(BaseAuthError):
    """The access token is invalid (401 ``invalid_token``)."""

    status_code = 401
    error_code = "invalid_token"


class InvalidAuthSchemeError(BaseAuthError):
    """The request is malformed or uses a scheme this mode does not accept."""

    status_code = 400
    error_code = "invalid_request"


class InvalidDpopProofError(BaseAuthError):
    """The DPoP proof is invalid (401 ``invalid_dpop_proof``) or lacks the server nonce
    (401 ``use_dpop_nonce`` with a ``DPoP-Nonce`` header)."""

    status_code = 400
    error_code = "invalid_dpop_proof"


class MissingAuthorizationError(BaseAuthError):
    """No credentials were sent. Answered with 401 and bare challenges (RFC 6750 §3.1),
    where ``auth0-api-python`` answers 400."""

    status_code = 400
    error_code = "invalid_request"

    def __init__(self, message: str = "") -> None:
        super().__init__(message)


class InsufficientScopeError(BaseAuthError):
    """The token lacks a required scope (403 ``insufficient_scope``)."""

    status_code = 403
    error_code = "insufficient_scope"


class ServiceUnavailableError(BaseAuthError):
    """Signing keys or the replay store are unavailable (503 with ``Retry-After``)."""

    status_code = 503
    error_code = "temporarily_unavailable"


class GetAccessTokenForConnectionError(BaseAuthError):
    """``get_access_token_for_connection`` was called with bad input or configuration."""

    status_code = 400
    error_code = "get_access_token_for_connection_error"


class GetTokenByExchangeProfileError(BaseAuthError):
    """``get_token_by_exchange_profile`` was called with bad input or configuration."""

    status_code = 400
    error_code = "get_token_by_exchange_profile_error"


class ApiError(BaseAuthError):
    """The token endpoint refused or could not be used. For a refusal, ``code`` is the
    issuer's ``error`` and ``status_code`` its HTTP status, as in ``auth0-api-python``;
    transport failures are ``network_error`` (502) and ``timeout_error`` (504)."""

    def __init__(
        self, code: str, message: str, status_code: int = 500, cause: Optional[Any] = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status_code = status_code
        self._status = status_code
        self._code = code
        self.cause = cause
        self.error = getattr(cause, "error", None)
        self.error_description = getattr(cause, "error_description", None)


class ConfigurationError(BaseAuthError, ValueError):
    """The configuration is invalid; raised at construction, before any network I/O.
    ``field`` names the option at fault."""

    status_code = 500
    error_code = "invalid_configuration"

    def __init__(self, message: str, field: Optional[str] = None, kind: Optional[str] = None):
        super().__init__(message)
        self.field = field
        self.kind = kind


class DomainsResolverError(BaseAuthError):
    """The domains resolver failed (500 ``domains_resolver_error``)."""

    status_code = 500
    error_code = "domains_resolver_error"


_BY_CODE: dict[str, type[BaseAuthError]] = {
    "invalid_token": VerifyAccessTokenError,
    "invalid_dpop_proof": InvalidDpopProofError,
    "use_dpop_nonce": InvalidDpopProofError,
    "insufficient_scope": InsufficientScopeError,
    "temporarily_unavailable": ServiceUnavailableError,
    "domains_resolver_error": DomainsResolverError,
}


def from_refusal(refusal: BaseException) -> BaseAuthError:
    """The SDK error class for a refusal raised by the compiled module."""
    status, code, description, headers, kind = refusal.args
    if kind == "MissingCredentials" or kind == "MalformedAuthorization":
        cls: type[BaseAuthError] = MissingAuthorizationError
    elif status == 400 or kind == "UnsupportedScheme":
        cls = InvalidAuthSchemeError
    else:
        cls = _BY_CODE.get(code, VerifyAccessTokenError)
    err = cls.__new__(cls)
    BaseAuthError.__init__(err, description)
    err._status = status
    err._code = code
    err._headers = dict(headers)
    err.kind = kind
    if isinstance(err, MissingRequiredArgumentError):  # pragma: no cover - not produced
        err.argument = ""
    return err
