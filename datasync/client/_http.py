"""The HTTP backend: the client talks to ``datasync serve`` over httpx.

Reads (and the bucket digest/entry lookups, which are POSTs that change nothing) and commits
(which carry an idempotency key, so the server answers a replay with the first result) are
retried with exponential backoff on connection errors and 5xx answers. Error bodies become the
same :class:`~datasync.errors.DatasyncError` classes the embedded store raises
(:func:`~datasync.errors.error_from_wire`). Every byte on the wire is counted by a transport
wrapper: request and status lines and headers as HTTP/1.1 text, bodies as sent (compressed).
"""

from __future__ import annotations

import gzip
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any
from urllib.parse import quote

import httpx
import orjson

from datasync._version import __version__
from datasync.client._backend import Backend, WireCounter
from datasync.errors import DatasyncError, TransportError, error_from_wire
from datasync.store import CommitResult, DatasetInfo, ManifestEntry, Page, VersionInfo
from datasync.sync import CommitHeader, ExampleData, Operation, Summary, child_nodes

__all__ = ["HttpBackend"]

_SPOOL_BYTES = 16 * 1024 * 1024
#: How long a commit's body may stall and its answer take before the client gives up (s).
COMMIT_SECONDS = 1800.0


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


class _CountingTransport(httpx.BaseTransport):
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


def _ref(name_or_id: str | int) -> str:
    return quote(str(name_or_id), safe="")


def _version(version_id: int | None) -> str:
    return "head" if version_id is None else str(version_id)


class HttpBackend(Backend):
    """A datasync server at ``base_url`` (``http://host:port``), optionally with an API key."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 0.25,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.location = base_url.rstrip("/")
        self.wire = WireCounter()
        self._retries = retries
        self._backoff = backoff
        # The server reads a commit body as it applies it and answers once its transaction is
        # done: for a million examples that takes minutes, during which writing the body can
        # stall and the answer is pending; a retry would only queue behind the first try.
        slow = max(timeout, COMMIT_SECONDS)
        self._commit_timeout = httpx.Timeout(
            timeout, connect=min(timeout, 10.0), read=slow, write=slow
        )
        headers = {"User-Agent": f"datasync-python/{__version__}"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.Client(
            base_url=self.location + "/v1",
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=_CountingTransport(transport or httpx.HTTPTransport(), self.wire),
        )

    # --- plumbing -------------------------------------------------------------------------

    def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        """Send with retries; raise the server's error as its :class:`DatasyncError`."""
        attempt = 0
        while True:
            try:
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                if attempt >= self._retries:
                    raise TransportError(
                        f"could not reach the datasync server at {self.location}: {exc}"
                        f" (after {attempt + 1} attempts)",
                        code="unreachable",
                        details={"url": self.location},
                    ) from None
            else:
                if response.status_code < 500 or attempt >= self._retries:
                    break
                response.close()
            time.sleep(self._backoff * 2**attempt)
            attempt += 1
        if response.status_code >= 400:
            response.read()
            raise self._error(response)
        return response

    def _error(self, response: httpx.Response) -> DatasyncError:
        try:
            body = response.json()
        except ValueError:
            return TransportError(
                f"{self.location} answered HTTP {response.status_code} with a body that is not"
                " a datasync error; is it a datasync server?",
                details={"status": response.status_code},
            )
        return error_from_wire(body, response.status_code)

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(self._http.build_request(method, path, **kwargs))
        return response.json()

    # --- reads ----------------------------------------------------------------------------

    def get_dataset(self, name_or_id: str | int) -> DatasetInfo:
        return DatasetInfo.from_wire(self._json("GET", f"/datasets/{_ref(name_or_id)}"))

    def list_datasets(self, limit: int, cursor: str | None) -> Page[DatasetInfo]:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        body = self._json("GET", "/datasets", params=params)
        return Page(tuple(DatasetInfo.from_wire(d) for d in body["items"]), body["next_cursor"])

    def list_versions(
        self, name_or_id: str | int, limit: int, cursor: str | None
    ) -> Page[VersionInfo]:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        body = self._json("GET", f"/datasets/{_ref(name_or_id)}/versions", params=params)
        return Page(tuple(VersionInfo.from_wire(v) for v in body["items"]), body["next_cursor"])

    def get_version(self, name_or_id: str | int, version_id: int | None) -> VersionInfo:
        path = f"/datasets/{_ref(name_or_id)}/versions/{_version(version_id)}"
        return VersionInfo.from_wire(self._json("GET", path))

    def get_summary(self, name_or_id: str | int, version_id: int | None, bits: int) -> Summary:
        path = f"/datasets/{_ref(name_or_id)}/versions/{_version(version_id)}/summary"
        body = self._json("GET", path, params={"bits": bits})
        return Summary(
            body["version_id"], body["count"], body["bits"], body["root"], tuple(body["digests"])
        )

    def bucket_digests(
        self,
        name_or_id: str | int,
        version_id: int,
        bits: int,
        nodes: list[int],
        *,
        parent_bits: int | None = None,
        digest_chars: int = 32,
    ) -> dict[int, str]:
        path = f"/datasets/{_ref(name_or_id)}/versions/{version_id}/digests"
        body: dict[str, Any] = {"bits": bits}
        if parent_bits is None:
            body["nodes"] = nodes
            wanted = nodes
        else:  # the children are implied: the request does not list them
            body["parent_bits"], body["parents"] = parent_bits, nodes
            wanted = [c for p in nodes for c in child_nodes(p, parent_bits, bits)]
        if digest_chars < 32:
            body["digest_chars"] = digest_chars
        digests = self._json("POST", path, json=body)["digests"]  # in node order
        if len(digests) != len(wanted):
            raise TransportError(
                f"{self.location} sent {len(digests)} digests for {len(wanted)} nodes",
                code="bad_response",
            )
        return dict(zip(wanted, digests, strict=True))

    def bucket_entries(
        self,
        name_or_id: str | int,
        version_id: int,
        bits: int,
        nodes: list[int],
        *,
        hash_chars: int = 64,
    ) -> list[ManifestEntry]:
        path = f"/datasets/{_ref(name_or_id)}/versions/{version_id}/entries"
        body: dict[str, Any] = {"bits": bits, "nodes": nodes}
        if hash_chars < 64:
            body["hash_chars"] = hash_chars
        entries = self._json("POST", path, json=body)["entries"]
        # The bucket is not sent; the client recomputes it when it needs it.
        return [ManifestEntry(sid, h, -1) for sid, h in entries]

    def iter_manifest(self, name_or_id: str | int, version_id: int) -> Iterator[ManifestEntry]:
        path = f"/datasets/{_ref(name_or_id)}/versions/{version_id}/manifest"
        response = self._send(self._http.build_request("GET", path), stream=True)
        try:
            for line in response.iter_lines():
                if line:
                    sid, content_hash = orjson.loads(line)
                    yield ManifestEntry(sid, content_hash, -1)
        except httpx.TransportError as exc:
            raise TransportError(
                f"the manifest stream from {self.location} broke off: {exc}", code="unreachable"
            ) from None
        finally:
            response.close()

    def iter_examples(
        self,
        name_or_id: str | int,
        version_id: int | None,
        metadata: Mapping[str, Any] | None,
        limit: int,
        cursor: str | None,
    ) -> Page[ExampleData]:
        params: list[tuple[str, Any]] = [("limit", limit)]
        if cursor is not None:
            params.append(("cursor", cursor))
        for key, value in (metadata or {}).items():
            params.append((f"metadata.{key}", orjson.dumps(value).decode()))
        path = f"/datasets/{_ref(name_or_id)}/versions/{_version(version_id)}/examples"
        body = self._json("GET", path, params=params)
        items = tuple(
            ExampleData(e["source_id"], e["input"], e["output"], e["metadata"], e["hash"])
            for e in body["items"]
        )
        return Page(items, body["next_cursor"])

    # --- writes ---------------------------------------------------------------------------

    def commit(
        self, dataset: str | int, header: CommitHeader, operations: Iterable[Operation]
    ) -> CommitResult:
        # The whole body is built (gzip, spooled to disk past 16 MiB) before anything is sent,
        # so an error while reading the source sends nothing, and a retry resends the same bytes.
        with tempfile.SpooledTemporaryFile(_SPOOL_BYTES) as spool:
            size = _write_body(spool, header, operations)

            def body() -> Iterator[bytes]:
                spool.seek(0)
                while chunk := spool.read(256 * 1024):
                    yield chunk

            request = self._http.build_request(
                "POST",
                f"/datasets/{_ref(dataset)}/commits",
                content=_Replayable(body),
                timeout=self._commit_timeout,
                headers={
                    "Content-Type": "application/x-ndjson",
                    "Content-Encoding": "gzip",
                    "Content-Length": str(size),
                },
            )
            return CommitResult.from_wire(self._send(request).json())

    def close(self) -> None:
        self._http.close()


class _Replayable(httpx.SyncByteStream):
    """A request body that can be sent again (for retries)."""

    def __init__(self, factory: Any) -> None:
        self._factory = factory

    def __iter__(self) -> Iterator[bytes]:
        yield from self._factory()


def _write_body(out: IO[bytes], header: CommitHeader, operations: Iterable[Operation]) -> int:
    """Write ``header`` then one operation per line as gzip NDJSON; the compressed size."""
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6, mtime=0) as gz:
        gz.write(orjson.dumps(header.to_wire()) + b"\n")
        batch: list[bytes] = []
        for op in operations:
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
