"""The tag methods of :class:`~datasync.store.Store` (a mixin; the SQL is in ``store.tags``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Connection, Engine, Row

from datasync.errors import NotFoundError, UsageError
from datasync.store import queries
from datasync.store.ids import checked_id, is_id_text
from datasync.store.records import Page, decode_cursor, encode_cursor
from datasync.store.tags import KINDS, TagChange, change_tags, tag_history, taggable_row

__all__ = ["TaggingMixin"]

MAX_HISTORY_PAGE = 1000


class TaggingMixin:
    """Read, change and list the history of the tags of datasets, versions and experiments.

    An object is named by ``kind`` (``"dataset"``, ``"version"``, ``"experiment"``) and
    ``ref``: a dataset's name or id; a version's number (with ``dataset``, required); an
    experiment's id. ``dataset`` (name or id) additionally checks that an experiment belongs
    to that dataset.
    """

    engine: Engine

    def _write(self) -> Any:  # pragma: no cover - Store defines it
        raise NotImplementedError

    def get_tags(
        self, kind: str, ref: str | int, *, dataset: str | int | None = None
    ) -> dict[str, str]:
        """The object's tags. Raises :class:`NotFoundError`, :class:`UsageError` (kind)."""
        with self.engine.connect() as conn:
            object_id = _resolve(conn, kind, ref, dataset)
            return dict(taggable_row(conn, kind, object_id).tags or {})

    def update_tags(
        self,
        kind: str,
        ref: str | int,
        *,
        add: Mapping[str, str] | None = None,
        remove: Iterable[str] | None = None,
        replace: Mapping[str, str] | None = None,
        dataset: str | int | None = None,
    ) -> dict[str, str]:
        """Add/update keys (``add``), drop keys (``remove``), or set the whole map
        (``replace``, idempotent), in one transaction that also records the change; returns
        the tags after it. Raises :class:`~datasync.errors.TagError` naming the tag (limits,
        reserved prefix, more than 20 after the change), :class:`UsageError`,
        :class:`NotFoundError`."""
        with self._write() as conn:
            object_id = _resolve(conn, kind, ref, dataset)
            return change_tags(conn, kind, object_id, add=add, remove=remove, replace=replace)

    def tag_history(
        self,
        dataset: str | int,
        *,
        kind: str | None = None,
        object_id: int | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[TagChange]:
        """Tag changes of a dataset, its versions and its experiments, newest first (paged);
        ``kind``/``object_id`` narrow it to one kind or object. Raises :class:`NotFoundError`."""
        if not 1 <= limit <= MAX_HISTORY_PAGE:
            raise UsageError(f"limit must be 1..{MAX_HISTORY_PAGE}", code="invalid_limit")
        if kind is not None and kind not in KINDS:
            raise UsageError(f"kind must be one of {', '.join(KINDS)}", code="unknown_kind")
        before = decode_cursor(cursor, int) if cursor is not None else None
        with self.engine.connect() as conn:
            ds = queries.dataset_row(conn, dataset)
            if kind == "version" and object_id is not None:
                object_id = _version_key(conn, ds, object_id)
            items = tag_history(
                conn, dataset_id=ds.id, kind=kind, object_id=object_id, limit=limit, before=before
            )
            numbers = queries.version_numbers(
                conn, (c.object_id for c in items if c.kind == "version")
            )
        # Versions are shown by their number within the dataset, as everywhere else.
        items = [
            replace(c, object_id=numbers[c.object_id]) if c.kind == "version" else c for c in items
        ]
        return Page(tuple(items), encode_cursor(items[-1].id) if len(items) == limit else None)


def _resolve(conn: Connection, kind: str, ref: str | int, dataset: str | int | None) -> int:
    """The id of the object ``ref`` of ``kind``, checked against ``dataset`` when given."""
    if kind == "dataset":
        return int(queries.dataset_row(conn, ref).id)
    if isinstance(ref, str) and not is_id_text(ref):
        raise UsageError(f"a {kind} is named by its id, not {ref!r}", code="bad_ref")
    object_id = checked_id(ref, f"a {kind} id")
    if kind == "version":
        if dataset is None:
            raise UsageError("a version is named by its dataset and number", code="bad_ref")
        return _version_key(conn, queries.dataset_row(conn, dataset), object_id)
    if dataset is not None:
        ds = queries.dataset_row(conn, dataset)
        row = taggable_row(conn, kind, object_id)
        if row.dataset_id != ds.id:
            raise NotFoundError(
                f"dataset {ds.name!r} has no {kind} {object_id}", code=f"{kind}_not_found"
            )
    return object_id


def _version_key(conn: Connection, ds: Row[Any], number: int) -> int:
    """The store-wide id of version ``number`` of ``ds``; raises :class:`NotFoundError`."""
    row = queries.version_row(conn, ds, number)
    assert row is not None  # a number always names a row or raises
    return int(row.id)
