"""Sign-in for the pages when the server has API keys: a signed session cookie.

The sign-in form takes a key; one of the server's keys gets a cookie ``datasync_session`` =
``EXPIRES.NONCE.SIGNATURE`` (HMAC-SHA256 with a secret derived from that key, so removing or
changing the key ends its sessions), ``HttpOnly`` (no script reads it), ``SameSite=Strict``
(no other site's page sends it: with read-only pages, that is the CSRF defence) and
``Path=/``; ``Secure`` when the request came over https. Sessions last :data:`LIFETIME`
seconds; sign-out clears it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from fastapi import Request

__all__ = [
    "COOKIE",
    "LIFETIME",
    "allowed",
    "matching_key",
    "new_session",
    "server_keys",
    "valid_session",
]

COOKIE = "datasync_session"
LIFETIME = 12 * 3600


def _secret(api_key: str) -> bytes:
    return hmac.new(api_key.encode(), b"datasync ui session v1", hashlib.sha256).digest()


def _sign(api_key: str, payload: str) -> str:
    return hmac.new(_secret(api_key), payload.encode(), hashlib.sha256).hexdigest()


def new_session(api_key: str, now: float | None = None) -> str:
    """A cookie value valid for :data:`LIFETIME` seconds from ``now``."""
    expires = int((time.time() if now is None else now) + LIFETIME)
    payload = f"{expires}.{secrets.token_urlsafe(12)}"
    return f"{payload}.{_sign(api_key, payload)}"


def valid_session(api_key: str, value: str, now: float | None = None) -> bool:
    """True when ``value`` was signed with this key and has not expired."""
    payload, _, signature = value.rpartition(".")
    expires, _, _nonce = payload.partition(".")
    if not expires.isascii() or not expires.isdigit():
        return False
    if not hmac.compare_digest(signature.encode(), _sign(api_key, payload).encode()):
        return False
    return int(expires) > (time.time() if now is None else now)


def matching_key(keys: frozenset[str], given: str) -> str | None:
    """The server key ``given`` is (every key compared in constant time), else ``None``."""
    token, found = given.strip().encode(), None
    for key in keys:
        if hmac.compare_digest(token, key.encode()):
            found = key
    return found


def server_keys(request: Request) -> frozenset[str]:
    """The server's API keys (empty: an open server)."""
    keys: frozenset[str] = request.app.state.api_keys
    return keys


def allowed(request: Request) -> bool:
    """May this request see data? Yes without keys; else with a valid session cookie or
    ``Authorization: Bearer KEY``."""
    keys = server_keys(request)
    if not keys:
        return True
    cookie = request.cookies.get(COOKIE)
    if cookie and any(valid_session(key, cookie) for key in keys):
        return True
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token) and matching_key(keys, token) is not None
