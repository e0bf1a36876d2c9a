"""Reads for browsing a version (a :class:`~datasync.store.Store` mixin): examples by id, and
a page of examples whose source id starts with a prefix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Engine

from datasync.errors import ValidationError
from datasync.store import queries
from datasync.store.records import Page, decode_cursor, encode_cursor
from datasync.store.schema import examples
from datasync.sync import ExampleData

__all__ = ["BrowsingMixin"]

_COLUMNS = ["source_id", "hash", "input", "output", "metadata"]
#: The largest code point: every string starting with a prefix sorts below prefix + this.
_TOP = "\U0010ffff"


class BrowsingMixin:
    """``examples_by_id`` and ``search_examples``."""

    engine: Engine

    @property
    def dialect(self) -> str:  # pragma: no cover - Store defines it
        raise NotImplementedError

    def examples_by_id(
        self, name_or_id: str | int, version_id: int | None, source_ids: Sequence[str]
    ) -> dict[str, ExampleData]:
        """``{source_id: example}`` of those ``source_ids`` (at most 1000) that the version
        holds. Raises :class:`NotFoundError`, :class:`ValidationError` (too many ids)."""
        if len(source_ids) > 1000:
            raise ValidationError("at most 1000 source ids at once", code="invalid_limit")
        with self.engine.connect() as conn:
            ds = queries.dataset_row(conn, name_or_id)
            row = queries.version_row(conn, ds, version_id)
            if row is None or not source_ids:
                return {}
            stmt = queries.manifest_select(self.dialect, ds.id, row.id, _COLUMNS)
            rows = conn.execute(stmt.where(examples.c.source_id.in_(list(source_ids)))).all()
        return {
            r.source_id: ExampleData(r.source_id, r.input, r.output, r.metadata, r.hash)
            for r in rows
        }

    def search_examples(
        self,
        name_or_id: str | int,
        version_id: int | None,
        prefix: str,
        *,
        metadata: Mapping[str, Any] | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[ExampleData]:
        """One page of the version's examples whose source id starts with ``prefix`` (and whose
        metadata holds ``metadata``), by source id: a range of the unique index, not a scan.
        Raises :class:`NotFoundError`, :class:`ValidationError`."""
        if not 1 <= limit <= 1000:
            raise ValidationError(f"limit must be 1..1000, not {limit}", code="invalid_limit")
        after = decode_cursor(cursor, str) if cursor is not None else None
        with self.engine.connect() as conn:
            ds = queries.dataset_row(conn, name_or_id)
            row = queries.version_row(conn, ds, version_id)
            if row is None:
                return Page(())
            stmt = queries.manifest_select(
                self.dialect, ds.id, row.id, _COLUMNS, metadata=metadata, after=after
            )
            if prefix:
                stmt = stmt.where(
                    examples.c.source_id >= prefix, examples.c.source_id < prefix + _TOP
                )
            rows = conn.execute(stmt.limit(limit)).all()
        items = tuple(ExampleData(r.source_id, r.input, r.output, r.metadata, r.hash) for r in rows)
        return Page(items, encode_cursor(items[-1].source_id) if len(items) == limit else None)
