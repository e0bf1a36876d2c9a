"""One log line per request on the ``datasync.server.access`` logger (level INFO):

    GET /v1/datasets/qa/summary 200 412B 3.1ms

method, path (no query string), status, response bytes as sent (after gzip) and the time
from the request's start to its last byte. Never a header (so never the API key) nor a body.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AccessLogMiddleware", "access_log"]

access_log = logging.getLogger("datasync.server.access")


class AccessLogMiddleware:
    """Pure ASGI middleware (streamed bodies pass through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees if the app fails before answering
        sent = 0

        async def counting_send(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                ms = (time.perf_counter() - started) * 1000
                access_log.info(
                    "%s %s %d %dB %.1fms", scope["method"], scope["path"], status, sent, ms
                )
