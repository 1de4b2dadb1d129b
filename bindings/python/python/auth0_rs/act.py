"""``act`` claim helpers (RFC 8693 §4.1): who is acting for the token's subject."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from .errors import VerifyAccessTokenError

__all__ = ["get_current_actor", "get_delegation_chain"]

MAX_ACT_DEPTH = 16
"""Deepest delegation chain accepted, as in the Rust core."""


def _chain(claims: Any) -> list[str]:
    if not isinstance(claims, Mapping):
        raise VerifyAccessTokenError("Invalid act claim")
    chain: list[str] = []
    act = claims.get("act")
    while act is not None:
        if len(chain) == MAX_ACT_DEPTH:
            raise VerifyAccessTokenError("Invalid act claim")
        if not isinstance(act, Mapping):
            raise VerifyAccessTokenError("Invalid act claim")
        sub = act.get("sub")
        if not isinstance(sub, str) or not sub.strip():
            raise VerifyAccessTokenError("Invalid act claim")
        chain.append(sub)
        act = act.get("act")
    return chain


def get_current_actor(claims: Mapping[str, Any]) -> Optional[str]:
    """The outermost ``act.sub`` (the party acting now), or ``None`` without ``act``."""
    chain = _chain(claims)
    return chain[0] if chain else None


def get_delegation_chain(claims: Mapping[str, Any]) -> list[str]:
    """``[act.sub, act.act.sub, ...]``, most recent actor first; ``[]`` without ``act``."""
    return _chain(claims)
