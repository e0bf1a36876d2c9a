"""The wire under :class:`~datasync.client._http.HttpBackend`: byte counting and commit bodies.

:class:`CountingTransport` wraps an httpx transport and counts every byte of every request and
response (request and status lines and headers as HTTP/1.1 text, bodies as sent, compressed).
:func:`body_chunks` writes a commit body (gzip NDJSON) piece by piece, and :class:`SpooledBody`
sends it while it is written and again on a retry.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable, Iterator
from typing import IO, Any

import httpx
import orjson

from datasync.client._backend import WireCounter
from datasync.sync import CommitHeader, EncodedOperation, Operation

__all__ = ["CountingTransport", "SpooledBody", "body_chunks"]


class _CountingStream(httpx.SyncByteStream):
    def __init__(self, inner: Iterable[bytes], add: Any) -> None:
        self._inner = inner
        self._add = add

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._add(len(chunk))
            yield chunk

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


def _head_bytes(first_line: str, headers: httpx.Headers) -> int:
    return len(first_line) + 2 + sum(len(k) + len(v) + 4 for k, v in headers.raw) + 2


class CountingTransport(httpx.BaseTransport):
    """Counts the bytes of every request and response passing through ``inner``."""

    def __init__(self, inner: httpx.BaseTransport, wire: WireCounter) -> None:
        self._inner = inner
        self._wire = wire

    def _sent(self, n: int) -> None:
        self._wire.sent += n

    def _received(self, n: int) -> None:
        self._wire.received += n

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = request.url.raw_path.decode("ascii")
        self._sent(_head_bytes(f"{request.method} {target} HTTP/1.1", request.headers))
        request.stream = _CountingStream(request.stream, self._sent)  # type: ignore[arg-type]
        response = self._inner.handle_request(request)
        self._received(_head_bytes(f"HTTP/1.1 {response.status_code} XX", response.headers))
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_CountingStream(response.stream, self._received),  # type: ignore[arg-type]
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._inner.close()


class SpooledBody(httpx.SyncByteStream):
    """A request body sent while it is produced, and kept so that a retry sends the same bytes.

    The first iteration yields each chunk as ``chunks`` produces it and writes it to ``spool``;
    a later one (a retry) first produces the rest into the spool, then replays the spool. An
    error of ``chunks`` (say, the source changed between the two passes) ends the request
    mid-body, so the server, which commits only a whole body, writes nothing.
    """

    def __init__(self, chunks: Iterator[bytes], spool: IO[bytes]) -> None:
        self._chunks = chunks
        self._spool = spool
        self._started = False

    def __iter__(self) -> Iterator[bytes]:
        if not self._started:
            self._started = True
            for chunk in self._chunks:
                self._spool.write(chunk)
                yield chunk
            return
        for chunk in self._chunks:  # what the interrupted attempt did not produce
            self._spool.write(chunk)
        self._spool.seek(0)
        while chunk := self._spool.read(256 * 1024):
            yield chunk
        self._spool.seek(0, 2)


def body_chunks(
    header: CommitHeader,
    operations: Iterable[Operation | EncodedOperation],
    chunk_bytes: int = 256 * 1024,
) -> Iterator[bytes]:
    """``header`` then one operation per line, gzip NDJSON, in pieces of about
    ``chunk_bytes`` compressed bytes as the operations come."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=6, mtime=0) as gz:
        gz.write(orjson.dumps(header.to_wire()) + b"\n")
        batch: list[bytes] = []
        for op in operations:
            if isinstance(op, EncodedOperation):
                batch.append(op.wire_line())
            else:
                batch.append(_dumps(op.to_wire()))
            if len(batch) >= 1000:
                gz.write(b"\n".join(batch) + b"\n")
                batch = []
                if buffer.tell() >= chunk_bytes:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        if batch:
            gz.write(b"\n".join(batch) + b"\n")
    yield buffer.getvalue()  # the rest and gzip's trailer


def _dumps(obj: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(obj)
    except TypeError:  # an integer beyond 64 bits (still an exact double)
        import json

        return json.dumps(obj, ensure_ascii=False).encode()
