"""Streamed NDJSON request bodies, read incrementally (optionally gzip), line by line.

The store's commit is synchronous and runs in a worker thread; :class:`BodyLines` hands it a
plain iterator whose ``next`` pulls the next chunk from the ASGI request on the event loop
(``anyio.from_thread.run``), so a body is never held whole in memory.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import anyio.from_thread

from datasync.canonical import loads_strict
from datasync.errors import CanonicalError, UsageError, ValidationError
from datasync.server.limits import Limits, too_large

__all__ = ["BodyLines", "parse_line"]


class BodyLines:
    """Iterate ``(line_number, parsed JSON)`` over an NDJSON body; blank lines are skipped.

    Raises :class:`ValidationError` naming the line for text that is not JSON (and
    ``body_timeout`` when the body stalls longer than ``Limits.body_idle_seconds``),
    :class:`~datasync.errors.TooLargeError` when a line or the decoded body is over a limit.
    Must be iterated from a worker thread (see module doc).
    """

    def __init__(self, chunks: AsyncIterator[bytes], encoding: str | None, limits: Limits) -> None:
        self._chunks = chunks
        self._limits = limits
        if encoding in (None, "", "identity"):
            self._inflate = None
        elif encoding == "gzip":
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        else:
            raise UsageError(
                f"unsupported Content-Encoding {encoding!r}; send gzip or nothing",
                code="unsupported_encoding",
            )
        self.line_number = 0
        self.bytes_decoded = 0
        self.bytes_received = 0

    async def _next_chunk(self) -> bytes | None:
        idle = self._limits.body_idle_seconds
        try:
            with anyio.fail_after(idle):
                return await self._chunks.__anext__()
        except StopAsyncIteration:
            return None
        except TimeoutError:
            raise ValidationError(
                f"the request body stalled: nothing arrived for {idle:g} s after"
                f" {self.bytes_received} bytes; nothing was written",
                code="body_timeout",
                details={"seconds": idle},
            ) from None

    def _decoded_chunks(self) -> Iterator[bytes]:
        while (chunk := anyio.from_thread.run(self._next_chunk)) is not None:
            self.bytes_received += len(chunk)
            if self._inflate is not None:
                try:
                    chunk = self._inflate.decompress(chunk)
                except zlib.error as exc:
                    raise ValidationError(
                        f"the gzip body is corrupt: {exc}", code="bad_gzip"
                    ) from None
            self.bytes_decoded += len(chunk)
            if self.bytes_decoded > self._limits.max_body_bytes:
                raise too_large("the decompressed request body", self._limits.max_body_bytes)
            yield chunk
        if self._inflate is not None and not self._inflate.eof:
            raise ValidationError("the gzip body ended early", code="bad_gzip")

    def _raw_lines(self) -> Iterator[bytes]:
        pending = b""
        limit = self._limits.max_example_bytes
        for chunk in self._decoded_chunks():
            pending += chunk
            *lines, pending = pending.split(b"\n")
            yield from lines
            if len(pending) > limit:
                raise too_large(f"line {self.line_number + len(lines) + 1}", limit)
        if pending:
            yield pending

    def numbered(self) -> Iterator[tuple[int, bytes]]:
        """``(line number, line)`` for each non-blank line, not parsed (limits checked)."""
        for raw in self._raw_lines():
            self.line_number += 1
            if len(raw) > self._limits.max_example_bytes:
                raise too_large(f"line {self.line_number}", self._limits.max_example_bytes)
            if raw.strip():
                yield self.line_number, raw

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        for number, raw in self.numbered():
            yield number, parse_line(number, raw)


def parse_line(number: int, raw: bytes) -> Any:
    """Line ``number`` of a body as strict JSON; :class:`ValidationError` names the line."""
    try:
        return loads_strict(raw)
    except CanonicalError as exc:
        raise ValidationError(
            f"line {number}: {exc.message}",
            code="invalid_ndjson",
            details={"line": number, "reason": exc.code, "path": exc.path},
        ) from None
