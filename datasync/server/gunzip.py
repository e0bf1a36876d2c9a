"""Gzip request bodies decoded in bounded steps, every member, nothing after the last.

RFC 1952 2.2: "A gzip file consists of a series of 'members' (compressed data sets)" — so a
body of two concatenated members is one valid gzip stream whose text is both members' text.
Bytes after a member that do not start another member are refused (``bad_gzip``): a body is
taken whole or not at all. Each call to ``zlib`` writes at most ``step`` bytes, so one small
piece of a bomb never becomes a gigabyte in memory.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from datasync.errors import ValidationError

__all__ = ["Gunzip"]

_GZIP_WBITS = 16 + zlib.MAX_WBITS  # a gzip header and trailer (CRC-32, size), not raw deflate
_MAGIC = b"\x1f\x8b"  # RFC 1952 2.3.1: ID1, ID2


class Gunzip:
    """Feed compressed pieces with :meth:`feed` (yields decoded pieces of at most ``step``
    bytes), then call :meth:`finish`. Raises :class:`ValidationError` ``bad_gzip`` for a
    corrupt member, bytes after a member that are not one, or a body that ends mid-member."""

    def __init__(self, step: int) -> None:
        self._step = step
        self._member: zlib._Decompress | None = None
        self.members = 0

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            if self._member is None:
                if not _MAGIC.startswith(data[:2]):
                    where = f"after member {self.members}" if self.members else "at the start"
                    raise self._error(f"the bytes {where} are not a gzip member")
                self._member = zlib.decompressobj(_GZIP_WBITS)
                self.members += 1
            member = self._member
            while True:
                try:
                    out = member.decompress(data, self._step)
                except zlib.error as exc:
                    raise self._error(f"member {self.members} is corrupt ({exc})") from None
                if out:
                    yield out
                data = member.unconsumed_tail
                # A full step may leave output inside zlib although no input is left.
                if member.eof or (not data and len(out) < self._step):
                    break
            if member.eof:
                data = member.unused_data  # the next member, or bytes that must be one
                self._member = None

    def finish(self) -> None:
        """The body ended: refuse it if a member is incomplete."""
        if self._member is not None:
            raise self._error(f"the body ended inside member {self.members} (truncated)")

    @staticmethod
    def _error(what: str) -> ValidationError:
        return ValidationError(
            f"the gzip body is not valid: {what}; nothing was written", code="bad_gzip"
        )
