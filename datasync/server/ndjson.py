"""Streamed NDJSON request bodies, read incrementally (optionally gzip), line by line.

Memory per request is bounded whatever the body: gzip is decoded ``Limits.inflate_step_bytes``
at a time (every member, see :mod:`datasync.server.gunzip`), one line is at most
``Limits.max_example_bytes``, and blank lines count (``Limits.max_blank_lines``), so a small
gzip bomb of newlines is refused after its first steps instead of being split into a
billion empty lines.

The store's commit is synchronous and runs in a worker thread; :class:`BodyLines` hands it a
plain iterator whose ``next`` pulls the next chunk from the ASGI request on the event loop
(``anyio.from_thread.run``), so a body is never held whole in memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import anyio.from_thread

from datasync.canonical import loads_strict
from datasync.errors import CanonicalError, TooLargeError, UsageError, ValidationError
from datasync.server.gunzip import Gunzip
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
            self._gunzip = None
        elif encoding == "gzip":
            self._gunzip = Gunzip(limits.inflate_step_bytes)
        else:
            raise UsageError(
                f"unsupported Content-Encoding {encoding!r}; send gzip or nothing",
                code="unsupported_encoding",
            )
        self.line_number = 0
        self.blank_lines = 0
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
            pieces = [chunk] if self._gunzip is None else self._gunzip.feed(chunk)
            for piece in pieces:
                self.bytes_decoded += len(piece)
                if self.bytes_decoded > self._limits.max_body_bytes:
                    raise too_large("the decompressed request body", self._limits.max_body_bytes)
                yield piece
        if self._gunzip is not None:
            self._gunzip.finish()

    def _raw_lines(self) -> Iterator[bytes]:
        # The unfinished line is kept as a list of pieces: a long line costs one join, not
        # one copy per piece.
        partial: list[bytes] = []
        partial_size = 0
        limit = self._limits.max_example_bytes
        for chunk in self._decoded_chunks():
            pieces = chunk.split(b"\n")
            if len(pieces) > 1:
                partial.append(pieces[0])
                yield b"".join(partial)
                yield from pieces[1:-1]
                partial, partial_size = [], 0
            partial.append(pieces[-1])
            partial_size += len(pieces[-1])
            if partial_size > limit:
                raise too_large(f"line {self.line_number + 1}", limit)
        if partial_size:
            yield b"".join(partial)

    def numbered(self) -> Iterator[tuple[int, bytes]]:
        """``(line number, line)`` for each non-blank line, not parsed (limits checked).

        Blank lines are numbered and counted: more than ``Limits.max_blank_lines`` of them
        (a gzip bomb of newlines) is a 413 ``too_many_blank_lines``."""
        limits = self._limits
        for raw in self._raw_lines():
            self.line_number += 1
            if len(raw) > limits.max_example_bytes:
                raise too_large(f"line {self.line_number}", limits.max_example_bytes)
            if raw.strip():
                yield self.line_number, raw
                continue
            self.blank_lines += 1
            if self.blank_lines > limits.max_blank_lines:
                raise TooLargeError(
                    f"the body has more than {limits.max_blank_lines} blank lines (at line"
                    f" {self.line_number}); send one JSON value per line",
                    code="too_many_blank_lines",
                    details={"limit": limits.max_blank_lines, "line": self.line_number},
                )

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
