"""The wire under :class:`~datasync.client._http.HttpBackend`: byte counting and commit bodies.

:class:`CountingTransport` wraps an httpx transport and counts every byte of every request and
response (request and status lines and headers as HTTP/1.1 text, bodies as sent, compressed).
:func:`write_body` writes a commit body (gzip NDJSON) and :class:`Replayable` sends it again
on a retry.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from typing import IO, Any

import httpx
import orjson

from datasync.client._backend import WireCounter
from datasync.sync import CommitHeader, EncodedOperation, Operation

__all__ = ["CountingTransport", "Replayable", "write_body"]


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


class Replayable(httpx.SyncByteStream):
    """A request body that can be sent again (for retries)."""

    def __init__(self, factory: Any) -> None:
        self._factory = factory

    def __iter__(self) -> Iterator[bytes]:
        yield from self._factory()


def write_body(
    out: IO[bytes], header: CommitHeader, operations: Iterable[Operation | EncodedOperation]
) -> int:
    """Write ``header`` then one operation per line as gzip NDJSON; the compressed size."""
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6, mtime=0) as gz:
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
        if batch:
            gz.write(b"\n".join(batch) + b"\n")
    return out.tell()


def _dumps(obj: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(obj)
    except TypeError:  # an integer beyond 64 bits (still an exact double)
        import json

        return json.dumps(obj, ensure_ascii=False).encode()
