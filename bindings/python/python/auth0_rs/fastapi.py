"""``Auth0FastAPI``: the API of ``auth0-fastapi-api``, verified by the Rust core.

Change one import line::

    from auth0_rs.fastapi import Auth0FastAPI
    # was: from fastapi_plugin.fast_api_client import Auth0FastAPI
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable, Optional, Union

from fastapi import HTTPException, Request, Response

from . import _auth0_rs
from ._client import ApiClient, ApiClientOptions, DomainsResolver, TrustProxy
from .errors import ConfigurationError

__all__ = ["Auth0FastAPI"]


class Auth0FastAPI:
    """Protects FastAPI routes with Auth0 access tokens (Bearer and DPoP).

    Same keyword arguments as ``auth0-fastapi-api``, plus ``issuer`` (a full issuer URL;
    ``http://`` only on loopback), ``trust_proxy`` (``True`` or, safer, a list of proxy
    CIDRs), ``public_url``, ``redis_url`` (shared DPoP replay store), ``dpop_nonce``
    (``True`` or a secret: server nonces), ``leeway`` and ``timeout``. Construction
    validates everything and does no network I/O.
    """

    def __init__(
        self,
        domain: Optional[str] = None,
        audience: Union[str, Sequence[str]] = "",
        domains: Union[Sequence[str], DomainsResolver, None] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        custom_fetch: Optional[Callable[..., Any]] = None,
        dpop_enabled: bool = True,
        dpop_required: bool = False,
        dpop_iat_leeway: Union[int, float] = 30,
        dpop_iat_offset: Union[int, float] = 300,
        cache_adapter: Optional[Any] = None,
        cache_ttl_seconds: Union[int, float] = 600,
        cache_max_entries: int = 100,
        *,
        issuer: Optional[str] = None,
        trust_proxy: TrustProxy = None,
        public_url: Optional[str] = None,
        redis_url: Optional[str] = None,
        dpop_nonce: Union[bool, str, bytes, None] = None,
        leeway: Union[int, float] = 0,
        timeout: float = 10.0,
    ) -> None:
        if not audience:
            raise ValueError("audience is required.")
        self.api_client = ApiClient(
            ApiClientOptions(
                domain=domain,
                audience=audience,
                domains=domains,
                custom_fetch=custom_fetch,
                cache_adapter=cache_adapter,
                cache_ttl_seconds=cache_ttl_seconds,
                cache_max_entries=cache_max_entries,
                dpop_enabled=dpop_enabled,
                dpop_required=dpop_required,
                dpop_iat_leeway=dpop_iat_leeway,
                dpop_iat_offset=dpop_iat_offset,
                client_id=client_id,
                client_secret=client_secret,
                timeout=timeout,
                issuer=issuer,
                trust_proxy=trust_proxy,
                public_url=public_url,
                redis_url=redis_url,
                dpop_nonce=dpop_nonce,
                leeway=leeway,
            )
        )
        self._verifier = self.api_client._verifier
        self._by_trust: dict[Any, Any] = {}

    def _for_app(self, request: Request) -> Any:
        """The verifier for this app's ``app.state.trust_proxy`` (as ``auth0-fastapi-api``
        reads it: any truthy value trusts every peer; a list of CIDRs trusts those)."""
        try:
            state = request.app.state
            # Starlette keeps `app.state` in a dict: reading it directly avoids the
            # AttributeError `getattr` raises (and formats) on every request otherwise.
            values = getattr(state, "_state", None)
            if isinstance(values, dict):
                trust = values.get("trust_proxy")
            else:
                trust = getattr(state, "trust_proxy", None)
        except Exception:
            trust = None
        if not trust:
            return self._verifier
        key: Any = (
            True if trust is True else tuple(trust) if not isinstance(trust, str) else (trust,)
        )
        if isinstance(trust, (bool, int)) and trust:
            key = True
        v = self._by_trust.get(key)
        if v is None:
            try:
                if key is True:
                    v = self._verifier.with_trust_proxy(True)
                else:
                    v = self._verifier.with_trust_proxy(False, [str(n) for n in key])
            except _auth0_rs.ConfigurationError as e:
                message, field, kind = e.args
                raise ConfigurationError(f"app.state.trust_proxy: {message}", field, kind) from None
            self._by_trust[key] = v
        return v

    def require_auth(self, scopes: Union[str, Sequence[str], None] = None) -> Callable[..., Any]:
        """A dependency that verifies the request and returns the claims as a ``dict``.

        Use it as a parameter (``claims: dict = Depends(auth0.require_auth())``) or in
        ``dependencies=[Depends(auth0.require_auth(scopes="read:data"))]``. Refusals raise
        ``HTTPException`` with the core's status, ``WWW-Authenticate``, ``DPoP-Nonce`` and
        ``Retry-After`` and ``detail={"error", "error_description"}``.
        """
        check = None
        if scopes:
            wanted = [scopes] if isinstance(scopes, str) else list(scopes)
            split = [s for item in wanted for s in item.split()]
            check = _auth0_rs.ScopeCheck(split)
        for_app = self._for_app

        async def _dependency(request: Request, response: Response) -> dict[str, Any]:
            scope = request.scope
            client = scope.get("client")
            try:
                r = for_app(request).verify(
                    scope["method"],
                    scope.get("scheme", "http"),
                    scope.get("raw_path") or scope["path"],
                    scope["headers"],
                    client[0] if client else None,
                    check,
                )
                if r.__class__ is not tuple:
                    r = await r
            except _auth0_rs.Refusal as e:
                status, code, description, headers, _kind = e.args
                raise HTTPException(
                    status_code=status,
                    detail={"error": code, "error_description": description},
                    headers=dict(headers),
                ) from None
            claims: dict[str, Any] = r[0]
            nonce = r[1]
            if nonce is not None:
                response.headers["DPoP-Nonce"] = nonce
            return claims

        return _dependency
