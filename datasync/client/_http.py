"""The HTTP backend: the client talks to ``datasync serve`` over httpx.

Reads (and the bucket digest/entry lookups, which are POSTs that change nothing) and commits
(which carry an idempotency key, so the server answers a replay with the first result) are
retried with exponential backoff on connection errors and 5xx answers; so are experiment and
tag writes, which replace by key on the server (a replay changes nothing). Error bodies become
the same :class:`~datasync.errors.DatasyncError` classes the embedded store raises
(:func:`~datasync.errors.error_from_wire`). Every byte on the wire is counted by a transport
wrapper (:mod:`datasync.client._http_transport`).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import orjson

from datasync._version import __version__
from datasync.client._backend import Backend, TagFilter, WireCounter
from datasync.client._http_transport import CountingTransport, SpooledBody, body_chunks
from datasync.errors import DatasyncError, TransportError, UsageError, error_from_wire
from datasync.store import (
    CommitResult,
    DatasetInfo,
    DeletedDataset,
    DiffPage,
    ManifestEntry,
    Page,
    TagChange,
    VersionInfo,
)
from datasync.sync import (
    CommitHeader,
    EncodedOperation,
    ExampleData,
    Operation,
    Summary,
    child_nodes,
    parse_tag_filter,
)
from datasync.sync.experiment_records import EvaluationRecord, ExperimentInfo, RunRecord

log = logging.getLogger("datasync.client")

__all__ = ["HttpBackend"]

_SPOOL_BYTES = 16 * 1024 * 1024
#: How long a commit's body may stall and its answer take before the client gives up (s).
COMMIT_SECONDS = 1800.0


def _ref(name_or_id: str | int) -> str:
    return quote(str(name_or_id), safe="")


def _version(version_id: int | None) -> str:
    return "head" if version_id is None else str(version_id)


def _tag_params(tags: TagFilter | None) -> list[tuple[str, Any]]:
    """``tag.KEY=VALUE`` for a value, ``has_tag=KEY`` for ``None`` (docs/protocol.md)."""
    return [
        ("has_tag", key) if value is None else (f"tag.{key}", value)
        for key, value in (tags or {}).items()
    ]


def _page_params(limit: int, cursor: str | None, tags: TagFilter | None) -> list[tuple[str, Any]]:
    # A bad tag key fails here, before any request.
    params = [("limit", limit), *_tag_params(parse_tag_filter(tags or {}))]
    if cursor is not None:
        params.append(("cursor", cursor))
    return params


def _tags_path(kind: str, ref: str | int, dataset: str | int | None) -> str:
    if kind == "dataset":
        return f"/datasets/{_ref(ref)}/tags"
    if kind == "version" and dataset is not None:
        return f"/datasets/{_ref(dataset)}/versions/{_ref(ref)}/tags"
    if kind == "experiment":
        return f"/experiments/{_ref(ref)}/tags"
    raise UsageError(f"cannot address {kind} {ref!r} (a version needs its dataset)")


def check_server_url(url: str) -> str:
    """``url`` without a trailing ``/`` if it can name a datasync server; raises
    :class:`UsageError` (``bad_server_url``) at once, with a hint, for a URL without
    ``http://``/``https://`` or with the API's ``/v1`` (the client adds it)."""
    text = url.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        hint = f" (did you mean http://{text}?)" if "://" not in text and text else ""
        raise UsageError(
            f"server URL {url!r} must start with http:// or https://{hint}",
            code="bad_server_url",
        )
    if parts.path.rstrip("/").endswith("/v1"):
        raise UsageError(
            f"server URL {url!r} ends in /v1: give the server's base URL"
            f" ({text[: -len('/v1')]}); the client adds /v1 itself",
            code="bad_server_url",
        )
    return text


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
        self.location = check_server_url(base_url)
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
            transport=CountingTransport(transport or httpx.HTTPTransport(), self.wire),
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
                    what = f"{request.method} {request.url.path}"
                    raise TransportError(
                        f"could not reach the datasync server at {self.location}: {what}:"
                        f" {type(exc).__name__}: {exc} (after {attempt + 1} attempts)",
                        code="unreachable",
                        details={"url": self.location, "request": what},
                    ) from None
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 500 or attempt >= self._retries:
                    break
                response.close()
                problem = f"HTTP {response.status_code}"
            log.info(
                "%s %s: %s; retry %d of %d",
                request.method, request.url.path, problem, attempt + 1, self._retries,
            )  # fmt: skip
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

    def delete_dataset(self, name_or_id: str | int, force: bool) -> DeletedDataset:
        params = {"force": "true"} if force else {}
        body = self._json("DELETE", f"/datasets/{_ref(name_or_id)}", params=params)
        return DeletedDataset.from_wire(body)

    def rename_dataset(self, name_or_id: str | int, new_name: str) -> DatasetInfo:
        body = self._json("PATCH", f"/datasets/{_ref(name_or_id)}", json={"name": new_name})
        return DatasetInfo.from_wire(body)

    def list_datasets(
        self, limit: int, cursor: str | None, tags: TagFilter | None = None
    ) -> Page[DatasetInfo]:
        params = _page_params(limit, cursor, tags)
        body = self._json("GET", "/datasets", params=params)
        return Page(tuple(DatasetInfo.from_wire(d) for d in body["items"]), body["next_cursor"])

    def list_versions(
        self, name_or_id: str | int, limit: int, cursor: str | None, tags: TagFilter | None = None
    ) -> Page[VersionInfo]:
        params = _page_params(limit, cursor, tags)
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

    def diff_versions(
        self,
        name_or_id: str | int,
        a: int | None,
        b: int | None,
        limit: int,
        cursor: str | None,
    ) -> DiffPage:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        path = f"/datasets/{_ref(name_or_id)}/versions/{_version(a)}/diff/{_version(b)}"
        return DiffPage.from_wire(self._json("GET", path, params=params))

    # --- writes ---------------------------------------------------------------------------

    def commit(
        self,
        dataset: str | int,
        header: CommitHeader,
        operations: Iterable[Operation | EncodedOperation],
    ) -> CommitResult:
        # The body is sent while it is written (the server starts on the first lines) and
        # spooled (to disk past 16 MiB), so that a retry sends the same bytes.
        with tempfile.SpooledTemporaryFile(_SPOOL_BYTES) as spool:
            request = self._http.build_request(
                "POST",
                f"/datasets/{_ref(dataset)}/commits",
                content=SpooledBody(body_chunks(header, operations), spool),
                timeout=self._commit_timeout,
                headers={"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"},
            )
            return CommitResult.from_wire(self._send(request).json())

    # --- experiments ----------------------------------------------------------------------

    def create_experiment(
        self,
        dataset: str | int,
        version_id: int | None,
        name: str,
        task_fingerprint: str,
        evaluators: Mapping[str, str],
        tags: Mapping[str, str],
        metadata: Mapping[str, Any],
        reused_from_id: int | None,
    ) -> ExperimentInfo:
        body = {
            "dataset": str(dataset),
            "version_id": version_id,
            "name": name,
            "task_fingerprint": task_fingerprint,
            "evaluators": dict(evaluators),
            "tags": dict(tags),
            "metadata": dict(metadata),
            "reused_from_id": reused_from_id,
        }
        return ExperimentInfo.from_wire(self._json("POST", "/experiments", json=body))

    def get_experiment(self, experiment_id: int) -> ExperimentInfo:
        return ExperimentInfo.from_wire(self._json("GET", f"/experiments/{int(experiment_id)}"))

    def list_experiments(
        self,
        dataset: str | int | None,
        name: str | None,
        tags: TagFilter | None,
        limit: int,
        cursor: str | None,
    ) -> Page[ExperimentInfo]:
        params: list[tuple[str, Any]] = [("limit", limit)]
        if dataset is not None:
            params.append(("dataset", str(dataset)))
        if name is not None:
            params.append(("name", name))
        params.extend(_tag_params(tags))  # checked by the server, as the store checks them
        if cursor is not None:
            params.append(("cursor", cursor))
        body = self._json("GET", "/experiments", params=params)
        items = tuple(ExperimentInfo.from_wire(e) for e in body["items"])
        return Page(items, body["next_cursor"])

    def list_runs(self, experiment_id: int, limit: int, cursor: str | None) -> Page[RunRecord]:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        body = self._json("GET", f"/experiments/{int(experiment_id)}/runs", params=params)
        return Page(tuple(RunRecord.from_wire(r) for r in body["items"]), body["next_cursor"])

    def record_runs(self, experiment_id: int, runs: Sequence[RunRecord]) -> None:
        body = {"runs": [r.to_wire() for r in runs]}
        self._json("POST", f"/experiments/{int(experiment_id)}/runs", json=body)

    def record_evaluations(
        self, experiment_id: int, items: Sequence[tuple[str, EvaluationRecord]]
    ) -> None:
        body = {"evaluations": [{"source_id": sid, **e.to_wire()} for sid, e in items]}
        self._json("POST", f"/experiments/{int(experiment_id)}/evaluations", json=body)

    def finish_experiment(self, experiment_id: int, status: str) -> ExperimentInfo:
        path = f"/experiments/{int(experiment_id)}/finish"
        return ExperimentInfo.from_wire(self._json("POST", path, json={"status": status}))

    # --- tags -------------------------------------------------------------------------------

    def get_tags(self, kind: str, ref: str | int, dataset: str | int | None) -> dict[str, str]:
        tags: dict[str, str] = self._json("GET", _tags_path(kind, ref, dataset))["tags"]
        return tags

    def update_tags(
        self,
        kind: str,
        ref: str | int,
        dataset: str | int | None,
        *,
        add: Mapping[str, str] | None = None,
        remove: Iterable[str] | None = None,
        replace: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        path = _tags_path(kind, ref, dataset)
        if replace is not None:
            if add or remove:
                raise UsageError("replace the whole map, or add/remove keys; not both")
            body = self._json("PUT", path, json={"tags": dict(replace)})
        else:
            change = {"add": dict(add or {}), "remove": list(remove or ())}
            body = self._json("PATCH", path, json=change)
        tags: dict[str, str] = body["tags"]
        return tags

    def tag_history(
        self, dataset: str | int, kind: str | None, limit: int, cursor: str | None
    ) -> Page[TagChange]:
        params: dict[str, Any] = {"limit": limit}
        if kind is not None:
            params["kind"] = kind
        if cursor is not None:
            params["cursor"] = cursor
        body = self._json("GET", f"/datasets/{_ref(dataset)}/tag-history", params=params)
        return Page(tuple(TagChange.from_wire(c) for c in body["items"]), body["next_cursor"])

    def close(self) -> None:
        self._http.close()
