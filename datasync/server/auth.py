"""Bearer-token auth: with an API key set, every route but health needs it."""

from __future__ import annotations

import hmac

from fastapi import Request

from datasync.errors import AuthError

__all__ = ["require_api_key"]


def require_api_key(request: Request) -> None:
    """FastAPI dependency: check ``Authorization: Bearer KEY`` in constant time.

    Raises :class:`AuthError` (401) when a key is configured and the header is missing or
    wrong. With no key configured (``app.state.api_key is None``) every request passes.
    """
    expected: str | None = request.app.state.api_key
    if expected is None:
        return
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthError(
            "this server needs an API key: send 'Authorization: Bearer KEY'",
            code="missing_api_key",
        )
    if not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise AuthError("the API key is not valid", code="invalid_api_key")
