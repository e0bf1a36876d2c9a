"""Version-to-version diffs (a :class:`~datasync.store.Store` mixin).

Computed from the stored hashes first: only examples that have a revision between the two
versions are looked at (``ix_revisions_version`` range), and of those only the ones whose
hash at A differs from their hash at B are read with their content. Unchanged examples cost
nothing, however large the versions. Pages go by source id (keyset cursor).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from datasync.errors import NotFoundError, ValidationError
from datasync.store import queries
from datasync.store.records import DiffPage, VersionInfo, decode_cursor, encode_cursor
from datasync.store.schema import examples, revisions
from datasync.sync import ChangeKind, ExampleChange, content_of, field_changes

__all__ = ["DiffMixin"]

MAX_DIFF_PAGE = 1000


class DiffMixin:
    """``diff_versions``: what changed between two versions of one dataset."""

    engine: Engine
    get_version: Callable[[str | int, int | None], VersionInfo]

    def diff_versions(
        self,
        name_or_id: str | int,
        a: int | None,
        b: int | None,
        *,
        limit: int = 100,
        cursor: str | None = None,
    ) -> DiffPage:
        """One page (``limit`` 1..1000) of the examples that differ from version ``a`` to
        version ``b`` (``None``: the head), by source id; either may be the older one. The
        first page (no ``cursor``) also counts created, patched and deleted examples.

        Raises :class:`NotFoundError` (dataset, version, ``no_versions``),
        :class:`ValidationError` (limit, cursor).
        """
        if not 1 <= limit <= MAX_DIFF_PAGE:
            raise ValidationError(
                f"limit must be 1..{MAX_DIFF_PAGE}, not {limit}", code="invalid_limit"
            )
        after = decode_cursor(cursor, str) if cursor is not None else None
        with self.engine.connect() as conn:
            ds = queries.dataset_row(conn, name_or_id)
            row_a, row_b = _version(conn, ds, a), _version(conn, ds, b)
            stmt = _changed(ds.id, row_a.id, row_b.id, bodies=True)
            if after is not None:
                stmt = stmt.where(examples.c.source_id > after)
            rows = conn.execute(stmt.order_by(examples.c.source_id).limit(limit)).all()
            counts = _counts(conn, ds.id, row_a.id, row_b.id) if cursor is None else None
        info_a, info_b = self.get_version(ds.id, a), self.get_version(ds.id, b)
        items = tuple(_change(r) for r in rows)
        next_cursor = encode_cursor(items[-1].source_id) if len(items) == limit else None
        created, patched, deleted = counts if counts is not None else (None, None, None)
        return DiffPage(info_a, info_b, items, next_cursor, created, patched, deleted)


def _version(conn: Connection, ds: Row[Any], version: int | None) -> Row[Any]:
    row = queries.version_row(conn, ds, version)
    if row is None:
        raise NotFoundError(f"dataset {ds.name!r} has no versions yet", code="no_versions")
    return row


def _at(alias: Any, version_id: int) -> sa.ColumnElement[bool]:
    """Join condition: ``alias`` is the example's latest revision with version <= ``version_id``."""
    r2 = revisions.alias()
    latest = (
        sa.select(sa.func.max(r2.c.version_id))
        .where(r2.c.example_id == examples.c.id, r2.c.version_id <= version_id)
        .scalar_subquery()
    )
    return sa.and_(alias.c.example_id == examples.c.id, alias.c.version_id == latest)


def _live_hash(alias: Any) -> sa.ColumnElement[Any]:
    return sa.case((alias.c.kind == ChangeKind.DELETE.value, sa.null()), else_=alias.c.hash)


def _changed(dataset_id: int, a_id: int, b_id: int, *, bodies: bool) -> sa.Select[Any]:
    """Examples whose live hash at ``a_id`` differs from the one at ``b_id``.

    Versions of a dataset form one line with growing ids, so an example can only differ if
    it has a revision in ``(low, high]``: that range of the version index picks the candidates.
    """
    low, high = min(a_id, b_id), max(a_id, b_id)
    ra, rb = revisions.alias("ra"), revisions.alias("rb")
    touched = (
        sa.select(revisions.c.example_id)
        .where(revisions.c.version_id > low, revisions.c.version_id <= high)
        .distinct()
    )
    hash_a, hash_b = _live_hash(ra).label("hash_a"), _live_hash(rb).label("hash_b")
    columns: list[Any] = [examples.c.source_id, hash_a, hash_b]
    if bodies:
        for alias, side in ((ra, "a"), (rb, "b")):
            columns += [alias.c[p].label(f"{p}_{side}") for p in ("input", "output", "metadata")]
    source = examples.outerjoin(ra, _at(ra, a_id)).outerjoin(rb, _at(rb, b_id))
    return (
        sa.select(*columns)
        .select_from(source)
        .where(examples.c.dataset_id == dataset_id, examples.c.id.in_(touched))
        .where(_live_hash(ra).is_distinct_from(_live_hash(rb)))
    )


def _counts(conn: Connection, dataset_id: int, a_id: int, b_id: int) -> tuple[int, int, int]:
    changed = _changed(dataset_id, a_id, b_id, bodies=False).subquery()
    created = sa.func.count().filter(changed.c.hash_a.is_(None))
    deleted = sa.func.count().filter(changed.c.hash_b.is_(None))
    total = sa.func.count()
    row = conn.execute(sa.select(created, deleted, total).select_from(changed)).one()
    return int(row[0]), int(row[2]) - int(row[0]) - int(row[1]), int(row[1])


def _change(row: Row[Any]) -> ExampleChange:
    if row.hash_a is None:
        content = content_of(row.input_b, row.output_b, row.metadata_b)
        return ExampleChange(row.source_id, ChangeKind.CREATE, None, row.hash_b, (), content)
    if row.hash_b is None:
        content = content_of(row.input_a, row.output_a, row.metadata_a)
        return ExampleChange(row.source_id, ChangeKind.DELETE, row.hash_a, None, (), content)
    old = content_of(row.input_a, row.output_a, row.metadata_a)
    new = content_of(row.input_b, row.output_b, row.metadata_b)
    fields = tuple(field_changes(old, new))
    return ExampleChange(row.source_id, ChangeKind.PATCH, row.hash_a, row.hash_b, fields)
