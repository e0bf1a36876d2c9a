"""A small client of Arize Phoenix's REST API (``/v1``), with typed errors, and the
``phoenix://`` locations that name a Phoenix dataset.

* :func:`parse_phoenix_uri` / :func:`phoenix_uri`: ``phoenix://HOST:PORT[/ROOT]/DATASET``
  (``phoenix+https://`` for TLS; ``?version=V`` pins a Phoenix version).
* :class:`PhoenixAPI`: find a dataset by name or id, list its versions, read a version's rows
  as Phoenix's JSONL, upload through Phoenix's upsert (``POST /v1/datasets/upload``).
* :func:`node_id_number`: the row id inside a Phoenix node id (base64 of ``TYPE:N``).

Every failure is typed: :class:`TransportError` (``phoenix_unreachable``, ``not_phoenix``,
``phoenix_error``), :class:`AuthError` (``phoenix_unauthorized``), :class:`NotFoundError`
(``phoenix_dataset_not_found``, ``phoenix_version_not_found``, ``phoenix_not_found``),
:class:`ValidationError` (``phoenix_refused``: Phoenix answered 409/422 to an upload),
:class:`UsageError` (``bad_phoenix_url``).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs, quote, unquote, urlsplit

import httpx

from datasync.errors import (
    AuthError,
    DatasyncError,
    NotFoundError,
    TransportError,
    UsageError,
    ValidationError,
)

__all__ = [
    "API_KEY_ENV",
    "PhoenixAPI",
    "PhoenixDataset",
    "PhoenixLocation",
    "UploadResult",
    "is_phoenix_uri",
    "node_id_number",
    "parse_phoenix_uri",
    "phoenix_uri",
]

#: The environment variable Phoenix's own client reads its API key from; we read it too.
API_KEY_ENV: Final = "PHOENIX_API_KEY"
_SCHEMES: Final = {"phoenix": "http", "phoenix+http": "http", "phoenix+https": "https"}
_PAGE: Final = 100


@dataclass(frozen=True)
class PhoenixLocation:
    """Where a Phoenix dataset is: the server's base URL, a dataset name or id, a version."""

    base_url: str
    dataset: str
    version: str | None = None


def is_phoenix_uri(uri: str) -> bool:
    """Whether ``uri`` names a Phoenix dataset (``phoenix://``, ``phoenix+https://``)."""
    return uri.split("://", 1)[0].lower() in _SCHEMES if "://" in uri else False


def parse_phoenix_uri(uri: str) -> PhoenixLocation:
    """``phoenix://HOST:PORT[/ROOT]/DATASET[?version=V]`` as a :class:`PhoenixLocation`.
    Raises :class:`UsageError` (``bad_phoenix_url``)."""
    parts = urlsplit(uri)
    scheme = _SCHEMES.get(parts.scheme.lower())
    segments = parts.path.split("/")
    dataset = unquote(segments[-1]) if len(segments) > 1 else ""
    if scheme is None or not parts.netloc or not dataset:
        raise UsageError(
            f"expected phoenix://HOST:PORT/DATASET (phoenix+https:// for TLS), not {uri!r}",
            code="bad_phoenix_url",
        )
    query = parse_qs(parts.query)
    unknown = sorted(set(query) - {"version"})
    if unknown:
        raise UsageError(
            f"unknown option(s) {', '.join(unknown)} in {uri!r}; only ?version=V",
            code="bad_phoenix_url",
        )
    version = query.get("version", [None])[-1]
    root = "/".join(segments[:-1])
    return PhoenixLocation(f"{scheme}://{parts.netloc}{root}", dataset, version or None)


def phoenix_uri(base_url: str, dataset: str, version: str | None = None) -> str:
    """The ``phoenix://`` URI of ``dataset`` on the Phoenix at ``base_url`` (``http(s)://``).
    Raises :class:`UsageError` for a URL that is not ``http(s)://HOST[:PORT][/ROOT]``."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(
            f"expected Phoenix's URL as http(s)://HOST:PORT, not {base_url!r}",
            code="bad_phoenix_url",
        )
    scheme = "phoenix" if parts.scheme == "http" else "phoenix+https"
    root = parts.path.rstrip("/")
    query = f"?version={quote(version, safe='')}" if version else ""
    return f"{scheme}://{parts.netloc}{root}/{quote(dataset, safe='')}{query}"


def node_id_number(text: str, type_name: str) -> int | None:
    """The row id inside a Phoenix node id (base64 of ``TYPE:N``) of ``type_name``, or None."""
    try:
        decoded = base64.b64decode(text, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    kind, sep, number = decoded.partition(":")
    if kind != type_name or not sep or not number.isascii() or not number.isdigit():
        return None
    return int(number)


def _node_id(type_name: str, number: int) -> str:
    return base64.b64encode(f"{type_name}:{number}".encode()).decode("ascii")


@dataclass(frozen=True)
class PhoenixDataset:
    """A Phoenix dataset as ``GET /v1/datasets`` describes it."""

    id: str
    name: str
    example_count: int


@dataclass(frozen=True)
class UploadResult:
    """What Phoenix's upload answered: its dataset and version ids and its own counts."""

    dataset_id: str
    version_id: str
    created: int
    updated: int
    deleted: int


class PhoenixAPI:
    """A client of one Phoenix server's REST API (``/v1``), with typed errors."""

    def __init__(self, base_url: str, api_key: str | None = None, timeout: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV) or None
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._has_key = bool(key)
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PhoenixAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- datasets and versions ------------------------------------------------------------

    def find_dataset(self, name_or_id: str) -> PhoenixDataset | None:
        """The dataset named ``name_or_id``, else the one with that id, else None."""
        body = self._json("GET", "/v1/datasets", params={"name": name_or_id, "limit": 1})
        found = body.get("data") if isinstance(body, dict) else None
        if isinstance(found, list) and found:
            return _dataset(found[0], self.base_url)
        if node_id_number(name_or_id, "Dataset") is None:
            return None
        try:
            body = self._json("GET", f"/v1/datasets/{quote(name_or_id, safe='')}")
        except NotFoundError:
            return None
        return _dataset(body.get("data") if isinstance(body, dict) else None, self.base_url)

    def dataset(self, name_or_id: str) -> PhoenixDataset:
        """The dataset named (or with the id) ``name_or_id``. Raises :class:`NotFoundError`."""
        found = self.find_dataset(name_or_id)
        if found is None:
            raise NotFoundError(
                f"Phoenix at {self.base_url} has no dataset named {name_or_id!r} (nor with that"
                " id); check the name (--phoenix-dataset) or list them in Phoenix's UI",
                code="phoenix_dataset_not_found",
                details={"phoenix_url": self.base_url, "phoenix_dataset": name_or_id},
            )
        return found

    def versions(self, dataset_id: str) -> Iterator[str]:
        """The dataset's version ids, newest first."""
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": _PAGE}
            if cursor:
                params["cursor"] = cursor
            body = self._json("GET", f"/v1/datasets/{quote(dataset_id, safe='')}/versions", params)
            for item in body.get("data") or []:
                yield str(item["version_id"])
            cursor = body.get("next_cursor")
            if not cursor:
                return

    def version(self, dataset: PhoenixDataset, version: str | None) -> str | None:
        """The version id ``version`` names (a version id, or its number; ``None``: the
        newest), or None for a dataset without versions. Raises :class:`NotFoundError`."""
        if version is None:
            return next(self.versions(dataset.id), None)
        wanted = _node_id("DatasetVersion", int(version)) if version.isdigit() else version
        if any(v == wanted for v in self.versions(dataset.id)):
            return wanted
        raise NotFoundError(
            f"Phoenix dataset {dataset.name!r} has no version {version!r}",
            code="phoenix_version_not_found",
            details={"phoenix_url": self.base_url, "phoenix_version": version},
        )

    def rows_jsonl(self, dataset_id: str, version_id: str) -> bytes:
        """The version's examples as Phoenix's JSONL (one object a line, by example)."""
        path = f"/v1/datasets/{quote(dataset_id, safe='')}/jsonl"
        response = self._request("GET", path, params={"version_id": version_id})
        return response.content

    # --- writes ---------------------------------------------------------------------------

    @staticmethod
    def upload_body(
        name: str, rows: Sequence[Mapping[str, Any]], action: str, description: str = ""
    ) -> bytes:
        """The JSON body of Phoenix's upsert for ``rows`` (each ``{"id", "input", "output",
        "metadata"}``, sent as ``example_ids`` and contents) with ``action`` ``update`` (the
        dataset becomes the rows) or ``append``. No ``splits`` key: Phoenix keeps the splits
        it has. ``description`` is used only when Phoenix creates the dataset."""
        payload = {
            "action": action,
            "name": name,
            "description": description,
            "inputs": [r["input"] for r in rows],
            "outputs": [r["output"] for r in rows],
            "metadata": [r["metadata"] for r in rows],
            "example_ids": [r["id"] for r in rows],
        }
        return json.dumps(payload, ensure_ascii=False, allow_nan=False).encode()

    def send_upload(self, body: bytes) -> UploadResult:
        """``POST /v1/datasets/upload?sync=true`` of an :meth:`upload_body`. Raises
        :class:`ValidationError` (``phoenix_refused``) when Phoenix refuses it."""
        answer = self._json(
            "POST",
            "/v1/datasets/upload",
            params={"sync": "true"},
            content=body,
            headers={"Content-Type": "application/json"},
        )
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict):
            raise self._not_phoenix("the upload's answer has no data")
        return UploadResult(
            str(data["dataset_id"]),
            str(data["version_id"]),
            int(data["num_created_examples"]),
            int(data["num_updated_examples"]),
            int(data["num_deleted_examples"]),
        )

    # --- HTTP -----------------------------------------------------------------------------

    def _json(self, method: str, path: str, params: Any = None, **kwargs: Any) -> Any:
        response = self._request(method, path, params=params, **kwargs)
        if not response.headers.get("content-type", "").startswith("application/json"):
            raise self._not_phoenix(f"{path} did not answer JSON")
        try:
            return response.json()
        except ValueError:
            raise self._not_phoenix(f"{path} answered malformed JSON") from None

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise TransportError(
                f"cannot reach Phoenix at {self.base_url} ({type(exc).__name__}: {exc}); is it"
                " running, and is the URL (scheme, host, port) right?",
                code="phoenix_unreachable",
                details={"phoenix_url": self.base_url},
            ) from None
        if response.status_code < 400:
            return response
        raise self._error(response, path)

    def _error(self, response: httpx.Response, path: str) -> DatasyncError:
        status, detail = response.status_code, _detail(response)
        details = {"phoenix_url": self.base_url, "status": status, "phoenix_detail": detail}
        if status in (401, 403):
            hint = (
                "the API key was refused: check --api-key / $PHOENIX_API_KEY"
                if self._has_key
                else "it needs an API key: pass --api-key or set $PHOENIX_API_KEY"
            )
            return AuthError(
                f"Phoenix at {self.base_url} answered HTTP {status} ({detail}): {hint}",
                code="phoenix_unauthorized",
                details=details,
            )
        if status == 404:
            return NotFoundError(
                f"Phoenix at {self.base_url} has no {path} ({detail})",
                code="phoenix_not_found",
                details=details,
            )
        if status in (409, 422) and path.endswith("/upload"):
            return ValidationError(
                f"Phoenix at {self.base_url} refused the upload (HTTP {status}): {detail}",
                code="phoenix_refused",
                details=details,
            )
        return TransportError(
            f"Phoenix at {self.base_url} answered HTTP {status} to {path}: {detail}",
            code="phoenix_error",
            details=details,
        )

    def _not_phoenix(self, why: str) -> TransportError:
        return TransportError(
            f"{self.base_url} does not answer as Phoenix's REST API does ({why}); is the URL"
            " Phoenix's (the one its UI is served on)?",
            code="not_phoenix",
            details={"phoenix_url": self.base_url},
        )


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason_phrase
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])[:500]
    return json.dumps(body)[:500]


def _dataset(item: Any, base_url: str) -> PhoenixDataset:
    if not isinstance(item, dict) or "id" not in item or "name" not in item:
        raise TransportError(
            f"{base_url} answered a dataset without id and name; is it Phoenix?",
            code="not_phoenix",
        )
    return PhoenixDataset(str(item["id"]), str(item["name"]), int(item.get("example_count", 0)))
