"""Request size limits: a small ASGI middleware, and the limits themselves."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from datasync.errors import TooLargeError

__all__ = ["Limits", "SizeLimitMiddleware", "is_streamed_upload"]

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Byte limits; each refusal is a 413 naming the limit. And one time limit.

    ``max_body_bytes``: a commit or snapshot body, counted both as sent and after gzip.
    ``max_example_bytes``: one NDJSON line (one operation or example).
    ``max_request_bytes``: any other request body (JSON).
    ``inflate_step_bytes``: the most a gzip body is decompressed in one step.
    ``max_blank_lines``: blank lines allowed in one NDJSON body (413 past it).
    ``body_idle_seconds``: the longest wait for the next piece of a commit or snapshot body;
    a client that stalls mid-body (and holds the commit's transaction) is refused with
    ``422 body_timeout`` and nothing is written.
    """

    max_body_bytes: int = 2048 * MiB
    max_example_bytes: int = 16 * MiB
    max_request_bytes: int = 16 * MiB
    inflate_step_bytes: int = 256 * 1024
    max_blank_lines: int = 10_000
    body_idle_seconds: float = 60.0


def is_streamed_upload(path: str) -> bool:
    """Commit and snapshot bodies stream; every other body is small JSON."""
    return path.endswith(("/commits", "/snapshot"))


def too_large(what: str, limit: int) -> TooLargeError:
    return TooLargeError(
        f"{what} exceeds the server's limit of {limit} bytes; split the push or ask the operator"
        " to raise the limit",
        details={"limit": limit},
    )


class SizeLimitMiddleware:
    """Refuse bodies over the limit: at once from ``Content-Length``, else while reading."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app, self.limits = app, limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        streamed = is_streamed_upload(scope["path"])
        limit = self.limits.max_body_bytes if streamed else self.limits.max_request_bytes
        what = "the request body" if streamed else "the JSON request body"
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                error = too_large(what, limit)
                response = JSONResponse(error.to_wire(), status_code=error.http_status)
                await response(scope, receive, send)
                return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException passes FastAPI's body parsing unchanged; the error
                    # handlers turn it back into a TooLargeError body.
                    raise HTTPException(413, detail=too_large(what, limit).message)
            return message

        await self.app(scope, counting_receive, send)
