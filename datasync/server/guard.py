"""Refuse what a web page could make a browser send: foreign hosts, origins, media types.

A server without an API key on 127.0.0.1 trusts whoever can connect. A web page the user
visits can connect too, through the browser, in two ways this middleware closes:

- **Cross-site requests.** A page may POST ``text/plain``, form or type-less bodies to any
  URL without a CORS preflight. Every API write (POST, PUT, PATCH under ``/v1/``) must say
  ``Content-Type: application/x-ndjson`` (commit, snapshot) or ``application/json`` (all
  others), else ``415 unsupported_media_type``; a request with an ``Origin`` that is neither
  the server's own nor a configured CORS origin is ``403 cross_origin``.
- **DNS rebinding.** A page on ``evil.example`` whose name later resolves to 127.0.0.1 is
  same-origin with the server, but its requests say ``Host: evil.example``: a ``Host`` not
  in ``allowed_hosts`` is ``403 forbidden_host`` (``"*"`` allows any).

CORS headers are sent only for origins configured with ``cors_origins``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from datasync.errors import UsageError
from datasync.server.limits import is_streamed_upload

__all__ = ["LOCAL_HOSTS", "RequestGuardMiddleware", "host_name"]

#: The names a local client uses for a server on the loopback interface.
LOCAL_HOSTS: Final = ("localhost", "127.0.0.1", "::1")
_WRITES: Final = frozenset({"POST", "PUT", "PATCH"})
NDJSON: Final = "application/x-ndjson"
JSON: Final = "application/json"


def host_name(host: str) -> str:
    """The name in a ``Host`` header (or URL netloc), without port, brackets or final dot."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":")[0]
    return host.rstrip(".")


class _Refused(Exception):  # a control-flow signal, answered as a UsageError
    """A guard refusal: a :class:`UsageError` and the HTTP status it is answered with."""

    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = UsageError(message, code=code)


class RequestGuardMiddleware:
    """Host, Origin and Content-Type checks (module doc), before anything else runs."""

    def __init__(
        self, app: ASGIApp, allowed_hosts: Sequence[str], cors_origins: Sequence[str]
    ) -> None:
        self.app = app
        self.any_host = "*" in allowed_hosts
        self.hosts = frozenset(host_name(h) for h in allowed_hosts)
        self.origins = frozenset(o.rstrip("/").lower() for o in cors_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                self._check(scope, Headers(scope=scope))
            except _Refused as refused:
                response = JSONResponse(refused.error.to_wire(), status_code=refused.status)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _check(self, scope: Scope, headers: Headers) -> None:
        host = headers.get("host")
        if host is not None and not self.any_host and host_name(host) not in self.hosts:
            raise _Refused(
                403,
                f"this server does not answer to the host name {host_name(host)[:100]!r}; start"
                " it with --allow-host NAME to serve that name",
                "forbidden_host",
            )
        origin = headers.get("origin")
        if origin is not None and not self._origin_allowed(origin, host):
            raise _Refused(
                403,
                f"cross-origin requests from {origin[:100]!r} are refused; start the server"
                " with --cors-origin ORIGIN to allow a web page to call it",
                "cross_origin",
            )
        # The API's writes; the web pages' own forms (/signin, /signout) check their origin.
        if scope["method"] in _WRITES and scope["path"].startswith("/v1/"):
            wanted = NDJSON if is_streamed_upload(scope["path"]) else JSON
            sent = headers.get("content-type", "").split(";")[0].strip().lower()
            if sent != wanted:
                raise _Refused(
                    415,
                    f"send this request with Content-Type: {wanted}, not {sent[:100] or 'none'}",
                    "unsupported_media_type",
                )

    def _origin_allowed(self, origin: str, host: str | None) -> bool:
        origin = origin.strip().rstrip("/").lower()
        if origin in self.origins or "*" in self.origins:
            return True
        parts = urlsplit(origin)
        return (
            host is not None
            and parts.scheme in ("http", "https")
            and (parts.netloc == host.strip().lower())
        )
