"""Bearer-token auth: with API keys set, every route but health needs one of them.

The scheme is declared in the OpenAPI document (``securitySchemes.APIKey``: HTTP bearer),
so generated clients and Swagger's Authorize button send it.
"""

from __future__ import annotations

import hmac

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from datasync.errors import AuthError

__all__ = ["require_api_key"]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="APIKey",
    description="One of the server's API keys: `Authorization: Bearer KEY`.",
)
_credentials = Security(_bearer)


def require_api_key(
    request: Request, credentials: HTTPAuthorizationCredentials | None = _credentials
) -> None:
    """FastAPI dependency: check ``Authorization: Bearer KEY`` in constant time.

    Raises :class:`AuthError` (401) when keys are configured and the header is missing or
    holds none of them. With no key configured (``app.state.api_keys`` empty) every request
    passes.
    """
    expected: frozenset[str] = request.app.state.api_keys
    if not expected:
        return
    if credentials is None or not credentials.credentials:
        raise AuthError(
            "this server needs an API key: send 'Authorization: Bearer KEY'",
            code="missing_api_key",
        )
    token = credentials.credentials.strip().encode()
    matched = False
    for key in expected:  # every key compared, so the time does not tell which one is close
        matched |= hmac.compare_digest(token, key.encode())
    if not matched:
        raise AuthError("the API key is not valid", code="invalid_api_key")
