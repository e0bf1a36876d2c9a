"""Tags in the client: read, add/update, remove, replace, history and tag-filtered listings.

:class:`TagBackend` is the small interface the client needs for tags, with one
implementation per backend (the store in-process, or the HTTP routes of docs/protocol.md);
:func:`tag_backend` picks it for a :class:`~datasync.client._backend.Backend`. (It sits beside
the main backend interface rather than in it, so tags stay one module.) The mixins give
``client.datasets`` and :class:`~datasync.client.Dataset` their tag methods.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from datasync.client._backend import Backend
from datasync.client._embedded import EmbeddedBackend
from datasync.client._http import HttpBackend
from datasync.errors import UsageError
from datasync.store import DatasetInfo, Page, Store, TagChange, VersionInfo
from datasync.sync import parse_tag_filter, validate_tag_keys, validate_tags

__all__ = ["DatasetTagsMixin", "TagBackend", "TagFilter", "TaggedDataset", "tag_backend"]

#: ``{key: value}`` keeps objects tagged ``key=value``; ``{key: None}`` those having ``key``.
TagFilter = Mapping[str, str | None]


class TagBackend(abc.ABC):
    """Tags of datasets (``ref``: name or id), versions and experiments (``ref``: id; a
    version also needs its ``dataset``). Every method raises :class:`DatasyncError` subclasses
    (:class:`~datasync.errors.TagError` naming the tag, :class:`NotFoundError`)."""

    @abc.abstractmethod
    def get_tags(self, kind: str, ref: str | int, dataset: str | int | None) -> dict[str, str]:
        """The object's tags."""

    @abc.abstractmethod
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
        """Add/remove keys or replace the whole map; the tags after the change."""

    @abc.abstractmethod
    def tag_history(
        self, dataset: str | int, kind: str | None, limit: int, cursor: str | None
    ) -> Page[TagChange]:
        """One page of a dataset's tag changes, newest first."""

    @abc.abstractmethod
    def list_datasets(
        self, limit: int, cursor: str | None, tags: TagFilter | None
    ) -> Page[DatasetInfo]:
        """One page of datasets having ``tags``, by id."""

    @abc.abstractmethod
    def list_versions(
        self, dataset: str | int, limit: int, cursor: str | None, tags: TagFilter | None
    ) -> Page[VersionInfo]:
        """One page of a dataset's versions having ``tags``, newest first."""


class _EmbeddedTags(TagBackend):
    def __init__(self, store: Store) -> None:
        self._store = store

    def get_tags(self, kind: str, ref: str | int, dataset: str | int | None) -> dict[str, str]:
        return self._store.get_tags(kind, ref, dataset=dataset)

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
        return self._store.update_tags(
            kind, ref, add=add, remove=remove, replace=replace, dataset=dataset
        )

    def tag_history(
        self, dataset: str | int, kind: str | None, limit: int, cursor: str | None
    ) -> Page[TagChange]:
        return self._store.tag_history(dataset, kind=kind, limit=limit, cursor=cursor)

    def list_datasets(
        self, limit: int, cursor: str | None, tags: TagFilter | None
    ) -> Page[DatasetInfo]:
        return self._store.list_datasets(limit, cursor, tags=tags)

    def list_versions(
        self, dataset: str | int, limit: int, cursor: str | None, tags: TagFilter | None
    ) -> Page[VersionInfo]:
        return self._store.list_versions(dataset, limit, cursor, tags=tags)


def _ref(value: str | int) -> str:
    return quote(str(value), safe="")


def _filter_params(tags: TagFilter | None) -> list[tuple[str, Any]]:
    wanted = parse_tag_filter(tags or {})  # a bad key fails here, before any request
    params: list[tuple[str, Any]] = []
    for key, value in wanted.items():
        params.append(("has_tag", key) if value is None else (f"tag.{key}", value))
    return params


class _HttpTags(TagBackend):
    def __init__(self, backend: HttpBackend) -> None:
        self._http = backend

    def _path(self, kind: str, ref: str | int, dataset: str | int | None) -> str:
        if kind == "dataset":
            return f"/datasets/{_ref(ref)}/tags"
        if kind == "version" and dataset is not None:
            return f"/datasets/{_ref(dataset)}/versions/{_ref(ref)}/tags"
        if kind == "experiment":
            return f"/experiments/{_ref(ref)}/tags"
        raise UsageError(f"cannot address {kind} {ref!r} (a version needs its dataset)")

    def get_tags(self, kind: str, ref: str | int, dataset: str | int | None) -> dict[str, str]:
        tags: dict[str, str] = self._http._json("GET", self._path(kind, ref, dataset))["tags"]
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
        path = self._path(kind, ref, dataset)
        if replace is not None:
            if add or remove:
                raise UsageError("replace the whole map, or add/remove keys; not both")
            body = self._http._json("PUT", path, json={"tags": dict(replace)})
        else:
            change = {"add": dict(add or {}), "remove": list(remove or ())}
            body = self._http._json("PATCH", path, json=change)
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
        body = self._http._json("GET", f"/datasets/{_ref(dataset)}/tag-history", params=params)
        return Page(tuple(TagChange.from_wire(c) for c in body["items"]), body["next_cursor"])

    def list_datasets(
        self, limit: int, cursor: str | None, tags: TagFilter | None
    ) -> Page[DatasetInfo]:
        params = [("limit", limit), *_filter_params(tags)]
        if cursor is not None:
            params.append(("cursor", cursor))
        body = self._http._json("GET", "/datasets", params=params)
        return Page(tuple(DatasetInfo.from_wire(d) for d in body["items"]), body["next_cursor"])

    def list_versions(
        self, dataset: str | int, limit: int, cursor: str | None, tags: TagFilter | None
    ) -> Page[VersionInfo]:
        params = [("limit", limit), *_filter_params(tags)]
        if cursor is not None:
            params.append(("cursor", cursor))
        body = self._http._json("GET", f"/datasets/{_ref(dataset)}/versions", params=params)
        return Page(tuple(VersionInfo.from_wire(v) for v in body["items"]), body["next_cursor"])


def tag_backend(backend: Backend) -> TagBackend:
    """The tag operations of ``backend`` (embedded or HTTP)."""
    if isinstance(backend, EmbeddedBackend):
        return _EmbeddedTags(backend.store)
    if isinstance(backend, HttpBackend):
        return _HttpTags(backend)
    raise UsageError(f"{type(backend).__name__} has no tag operations")


def _kind(version_id: int | None) -> tuple[str, str | int | None]:
    return ("dataset", None) if version_id is None else ("version", version_id)


class DatasetTagsMixin:
    """Tag methods of ``client.datasets``: without ``version_id`` they act on the dataset's
    own tags, with it on that version's. See docs/tags.md for the limits."""

    _backend: Backend

    def get_tags(self, dataset: str | int, *, version_id: int | None = None) -> dict[str, str]:
        """The tags of the dataset (or of version ``version_id``). Raises
        :class:`NotFoundError`."""
        kind, ref = _kind(version_id)
        return tag_backend(self._backend).get_tags(kind, ref or dataset, dataset)

    def add_tags(
        self, dataset: str | int, tags: Mapping[str, str], *, version_id: int | None = None
    ) -> dict[str, str]:
        """Set ``tags`` (new keys added, existing ones updated); the tags after it. Raises
        :class:`TagError` naming the tag (limits, reserved prefix, over 20 in total)."""
        kind, ref = _kind(version_id)
        clean = validate_tags(tags)
        return tag_backend(self._backend).update_tags(kind, ref or dataset, dataset, add=clean)

    def remove_tags(
        self, dataset: str | int, keys: Iterable[str], *, version_id: int | None = None
    ) -> dict[str, str]:
        """Drop ``keys`` (absent keys are fine); the tags after it. Raises :class:`TagError`."""
        kind, ref = _kind(version_id)
        clean = validate_tag_keys(keys)
        return tag_backend(self._backend).update_tags(kind, ref or dataset, dataset, remove=clean)

    def replace_tags(
        self, dataset: str | int, tags: Mapping[str, str], *, version_id: int | None = None
    ) -> dict[str, str]:
        """Make the tags exactly ``tags`` (idempotent: a retry changes nothing)."""
        kind, ref = _kind(version_id)
        clean = validate_tags(tags)
        return tag_backend(self._backend).update_tags(kind, ref or dataset, dataset, replace=clean)

    def tag_history(self, dataset: str | int, *, kind: str | None = None) -> list[TagChange]:
        """Every tag change of the dataset, its versions and experiments, newest first
        (``kind``: only ``"dataset"``, ``"version"`` or ``"experiment"`` changes)."""
        out: list[TagChange] = []
        cursor: str | None = None
        tags = tag_backend(self._backend)
        while True:
            page = tags.tag_history(dataset, kind, 500, cursor)
            out.extend(page.items)
            if page.next_cursor is None:
                return out
            cursor = page.next_cursor


class TaggedDataset:
    """Tag methods of a :class:`~datasync.client.Dataset` (read live from the store)."""

    id: int
    version_id: int | None
    _backend: Backend | None

    def _tags(self) -> TagBackend:
        if self._backend is None:
            raise UsageError("this Dataset is not attached to a store", code="detached")
        return tag_backend(self._backend)

    @property
    def tags(self) -> dict[str, str]:
        """The dataset's tags, as the store holds them now."""
        return self._tags().get_tags("dataset", self.id, None)

    def add_tags(self, tags: Mapping[str, str]) -> dict[str, str]:
        """Add or update the dataset's ``tags``; the tags after it (raises :class:`TagError`)."""
        return self._tags().update_tags("dataset", self.id, None, add=validate_tags(tags))

    def remove_tags(self, keys: Iterable[str]) -> dict[str, str]:
        """Drop the dataset's tags ``keys``; the tags after it."""
        return self._tags().update_tags("dataset", self.id, None, remove=validate_tag_keys(keys))

    def replace_tags(self, tags: Mapping[str, str]) -> dict[str, str]:
        """Make the dataset's tags exactly ``tags`` (idempotent)."""
        return self._tags().update_tags("dataset", self.id, None, replace=validate_tags(tags))

    def _version(self) -> int:
        if self.version_id is None:
            raise UsageError("the dataset has no version yet", code="no_versions")
        return self.version_id

    @property
    def version_tags(self) -> dict[str, str]:
        """The tags of this version, as the store holds them now."""
        return self._tags().get_tags("version", self._version(), self.id)

    def add_version_tags(self, tags: Mapping[str, str]) -> dict[str, str]:
        """Add or update tags of this version (e.g. ``{"release": "2026-11"}``)."""
        clean = validate_tags(tags)
        return self._tags().update_tags("version", self._version(), self.id, add=clean)

    def remove_version_tags(self, keys: Iterable[str]) -> dict[str, str]:
        """Drop tags ``keys`` of this version."""
        clean = validate_tag_keys(keys)
        return self._tags().update_tags("version", self._version(), self.id, remove=clean)
