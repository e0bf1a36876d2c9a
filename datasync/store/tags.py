"""Tags in SQL: filters, changes and their history, for datasets, versions and experiments.

Tags are one JSON column (``tags``; JSONB with a GIN index on PostgreSQL) on each taggable
table. Every filter is parameterized SQL that the database evaluates (no scanning in Python):
PostgreSQL uses containment ``tags @> '{"k": "v"}'`` and key existence ``tags ? 'k'`` (both
served by the GIN index); SQLite compares ``json_extract`` / ``json_type`` of a bound JSON
path. Every change is recorded in ``tag_changes`` (time, ``+key=value`` / ``-key``).

The kind of object names its table: ``dataset`` -> ``datasets``, ``version`` -> ``versions``,
``experiment`` -> ``experiments`` (that table needs ``id``, ``tags`` and ``dataset_id``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Row

from datasync.errors import NotFoundError, TagError, UsageError
from datasync.store.records import TagChange
from datasync.store.schema import metadata, tag_changes
from datasync.sync import validate_tag_keys, validate_tags

__all__ = [
    "KINDS",
    "TagChange",
    "change_tags",
    "diff_tags",
    "record_tag_change",
    "tag_filter",
    "tag_history",
    "taggable_row",
    "taggable_table",
]

#: The kinds of objects that carry tags, and their tables.
KINDS: dict[str, str] = {"dataset": "datasets", "version": "versions", "experiment": "experiments"}


def taggable_table(kind: str) -> sa.Table:
    """The table holding objects of ``kind``; raises :class:`UsageError` (``unknown_kind``)."""
    name = KINDS.get(kind)
    table = metadata.tables.get(name) if name else None
    if table is None:
        raise UsageError(
            f"objects of kind {kind!r} carry no tags; use one of {', '.join(KINDS)}",
            code="unknown_kind",
        )
    return table


def _json(column: Any) -> Any:
    return sa.type_coerce(column, postgresql.JSONB())


def tag_filter(
    dialect: str, column: Any, wanted: Mapping[str, str | None]
) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses keeping rows whose tags hold every ``key: value`` of ``wanted`` (AND);
    a ``None`` value keeps rows that have the key, whatever its value.

    ``wanted`` must be checked first (:func:`datasync.sync.parse_tag_filter`). Values are
    bound parameters, so quotes, ``%``, ``_`` and SQL text match literally.
    """
    values = {k: v for k, v in wanted.items() if v is not None}
    present = [k for k, v in wanted.items() if v is None]
    if dialect == "postgresql":
        clauses: list[sa.ColumnElement[bool]] = [_json(column).has_key(k) for k in present]
        if values:
            clauses.append(_json(column).contains(values))
        return clauses
    clauses = []
    for key in present:
        clauses.append(sa.func.json_type(column, _path(key)).is_not(None))
    for key, value in values.items():
        clauses.append(sa.func.json_type(column, _path(key)) == "text")
        clauses.append(sa.func.json_extract(column, _path(key)) == value)
    return clauses


def _path(key: str) -> sa.BindParameter[str]:
    # Tag keys are [a-z0-9_.-]; quoting makes '.' part of the key, not a path step.
    return sa.bindparam(None, f'$."{key}"', type_=sa.String)


def taggable_row(conn: Connection, kind: str, object_id: int, *, lock: bool = False) -> Row[Any]:
    """The row of object ``object_id`` of ``kind`` (locked on PostgreSQL with ``lock``);
    raises :class:`NotFoundError` (``<kind>_not_found``)."""
    table = taggable_table(kind)
    stmt = sa.select(table).where(table.c.id == object_id)
    if lock and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFoundError(f"no {kind} {object_id}", code=f"{kind}_not_found")
    return row


def _dataset_of(kind: str, row: Row[Any]) -> int | None:
    if kind == "dataset":
        return int(row.id)
    value = getattr(row, "dataset_id", None)
    return None if value is None else int(value)


def diff_tags(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """What turns ``old`` into ``new``: keys set (new or changed value) and keys removed."""
    added = {k: v for k, v in new.items() if old.get(k) != v}
    return added, sorted(k for k in old if k not in new)


def record_tag_change(
    conn: Connection,
    kind: str,
    object_id: int,
    dataset_id: int | None,
    old: Mapping[str, str],
    new: Mapping[str, str],
) -> TagChange | None:
    """Record the change ``old`` -> ``new`` in the history (nothing when they are equal)."""
    added, removed = diff_tags(old, new)
    if not added and not removed:
        return None
    changes = [["+", k, v] for k, v in sorted(added.items())] + [["-", k, None] for k in removed]
    now = datetime.now(UTC)
    values = {
        "kind": kind,
        "object_id": object_id,
        "dataset_id": dataset_id,
        "changed_at": now,
        "changes": changes,
    }
    new_id = conn.execute(tag_changes.insert().values(values)).inserted_primary_key
    assert new_id is not None
    return TagChange(int(new_id[0]), kind, object_id, dataset_id, now, added, tuple(removed))


def change_tags(
    conn: Connection,
    kind: str,
    object_id: int,
    *,
    add: Mapping[str, str] | None = None,
    remove: Iterable[str] | None = None,
    replace: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Change the tags of one object and record the change; the tags after it.

    ``replace`` sets the whole map (idempotent: the same map again changes nothing); else
    ``remove`` drops keys (absent keys are fine) and ``add`` sets keys (new or updated).
    Run inside a write transaction. Raises :class:`TagError` (limits, naming the tag; a key
    both added and removed), :class:`UsageError` (``replace`` with ``add``/``remove``),
    :class:`NotFoundError`.
    """
    if replace is not None and (add or remove):
        raise UsageError("replace the whole map, or add/remove keys; not both", code="bad_option")
    row = taggable_row(conn, kind, object_id, lock=True)
    old = dict(row.tags or {})
    if replace is not None:
        new = validate_tags(replace)
    else:
        adding = validate_tags(add or {})
        dropping = validate_tag_keys(remove or ())
        both = sorted(set(adding) & set(dropping))
        if both:
            raise TagError(f"tag {both[0]!r} is both added and removed", details={"key": both[0]})
        new = {k: v for k, v in old.items() if k not in dropping} | adding
        validate_tags(new)  # the count limit holds for the result
    if new != old:
        table = taggable_table(kind)
        conn.execute(table.update().where(table.c.id == object_id).values(tags=new))
        record_tag_change(conn, kind, object_id, _dataset_of(kind, row), old, new)
    return new


def tag_history(
    conn: Connection,
    *,
    dataset_id: int | None = None,
    kind: str | None = None,
    object_id: int | None = None,
    limit: int = 100,
    before: int | None = None,
) -> list[TagChange]:
    """Recorded tag changes, newest first: of a dataset (its own, its versions' and its
    experiments'), optionally only of ``kind`` / ``object_id``; ``before``: ids below it."""
    t = tag_changes
    stmt = sa.select(t).order_by(t.c.id.desc()).limit(limit)
    if dataset_id is not None:
        stmt = stmt.where(t.c.dataset_id == dataset_id)
    if kind is not None:
        stmt = stmt.where(t.c.kind == kind)
    if object_id is not None:
        stmt = stmt.where(t.c.object_id == object_id)
    if before is not None:
        stmt = stmt.where(t.c.id < before)
    return [_change(r) for r in conn.execute(stmt)]


def _change(row: Row[Any]) -> TagChange:
    added = {k: v for op, k, v in row.changes if op == "+"}
    removed = tuple(k for op, k, _ in row.changes if op == "-")
    at = row.changed_at if row.changed_at.tzinfo else row.changed_at.replace(tzinfo=UTC)
    return TagChange(row.id, row.kind, row.object_id, row.dataset_id, at, added, removed)
