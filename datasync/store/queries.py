"""The SQL the store runs: dataset lookup, a version's manifest, example pages.

All functions take an open :class:`~sqlalchemy.engine.Connection`; transactions are the
caller's. The manifest of version V is, per example of the dataset, its latest revision with
``version_id <= V``, left out when that revision is a DELETE (index ``(example_id,
version_id)`` makes the lookup one index probe per example).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from datasync.errors import NotFoundError, ValidationError
from datasync.store.ids import checked_id, is_id_text
from datasync.store.schema import datasets, examples, experiments, revisions, versions
from datasync.sync import LEAF_BITS

__all__ = [
    "DatasetCounts",
    "dataset_counts",
    "dataset_row",
    "head_number",
    "manifest_rows",
    "metadata_filter",
    "version_numbers",
    "version_row",
]

_FILTER_KEY = re.compile(r"[A-Za-z0-9_.:/ -]{1,128}\Z")


def dataset_row(conn: Connection, name_or_id: str | int, *, lock: bool = False) -> Row[Any]:
    """The dataset named (or numbered) ``name_or_id``; raises :class:`NotFoundError`.

    A string of ASCII digits is an id (:class:`ValidationError` ``invalid_id`` beyond 64
    bits): dataset names never start with a digit.
    """
    if isinstance(name_or_id, int) or is_id_text(name_or_id):
        where = datasets.c.id == checked_id(name_or_id, "a dataset id")
    else:
        where = datasets.c.name == name_or_id
    stmt = sa.select(datasets).where(where)
    if lock and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFoundError(f"no dataset {name_or_id!r}", code="dataset_not_found")
    return row


class DatasetCounts(NamedTuple):
    """How much a dataset holds: versions, examples in its head, experiments."""

    versions: int
    examples: int
    experiments: int


def dataset_counts(conn: Connection, dataset: Row[Any]) -> DatasetCounts:
    """The versions, the head's examples and the experiments of a dataset row."""

    def count(table: sa.Table) -> int:
        stmt = sa.select(sa.func.count()).select_from(table)
        return int(conn.execute(stmt.where(table.c.dataset_id == dataset.id)).scalar_one())

    head = version_row(conn, dataset, None)
    return DatasetCounts(count(versions), head.total if head is not None else 0, count(experiments))


def version_row(conn: Connection, dataset: Row[Any], version_id: int | None) -> Row[Any] | None:
    """Version number ``version_id`` of ``dataset`` (its head if ``None``; ``None`` if it has
    none). Versions are numbered 1, 2, 3, ... per dataset (``versions.number``); the row's
    ``id`` is the store-wide key the other tables refer to, never shown to users.

    Raises :class:`NotFoundError` when the dataset has no version of that number.
    """
    if version_id is None:
        if dataset.head_version_id is None:
            return None
        where = versions.c.id == dataset.head_version_id
    else:
        where = versions.c.number == version_id
    row = conn.execute(
        sa.select(versions).where(where, versions.c.dataset_id == dataset.id)
    ).first()
    if row is None:
        raise NotFoundError(
            f"dataset {dataset.name!r} has no version {version_id}", code="version_not_found"
        )
    return row


def head_number(conn: Connection, dataset: Row[Any]) -> int | None:
    """The number of the dataset's head version (``None`` before its first commit)."""
    if dataset.head_version_id is None:
        return None
    number: int = conn.execute(
        sa.select(versions.c.number).where(versions.c.id == dataset.head_version_id)
    ).scalar_one()
    return number


def version_numbers(conn: Connection, ids: Iterable[int]) -> dict[int, int]:
    """``{store-wide version id: its number within its dataset}`` for ``ids``."""
    wanted = set(ids)
    if not wanted:
        return {}
    stmt = sa.select(versions.c.id, versions.c.number).where(versions.c.id.in_(wanted))
    return {int(i): int(n) for i, n in conn.execute(stmt)}


def _latest_revision(version_id: int) -> sa.ScalarSelect[Any]:
    r2 = revisions.alias("r2")
    return (
        sa.select(sa.func.max(r2.c.version_id))
        .where(r2.c.example_id == examples.c.id, r2.c.version_id <= version_id)
        .scalar_subquery()
    )


_EXAMPLE_COLUMNS = {
    "example_id": examples.c.id,
    "source_id": examples.c.source_id,
    "bucket": examples.c.bucket,
}


def manifest_select(
    dialect: str,
    dataset_id: int,
    version_id: int,
    columns: Sequence[str],
    *,
    metadata: Mapping[str, Any] | None = None,
    after: str | None = None,
    ranges: sa.CTE | None = None,
) -> sa.Select[Any]:
    """SELECT ``columns`` (``example_id``, ``source_id``, ``bucket``, ``hash``, ``input``,
    ``output``, ``metadata``) of the live examples of a version, ordered by source id.

    ``metadata``: keep examples whose metadata holds each pair (see :func:`metadata_filter`);
    ``after``: only source ids greater than this (keyset paging); ``ranges``: a CTE of
    inclusive leaf ranges ``(lo, hi)`` that drives the query (first in FROM, so both planners
    probe the ``(dataset_id, bucket)`` index per range). On PostgreSQL the latest
    revision comes from a LATERAL index probe per example, walked in source id order, so a
    page costs its own size; with a metadata filter the revisions that match come first (GIN
    containment) and each must have no newer revision up to the version. SQLite uses a
    correlated ``max(version_id)``.
    """
    rev: Any
    source: Any
    first: Any = examples
    if ranges is not None:
        # The ranges first, then examples: PostgreSQL otherwise joins every example to its
        # LATERAL revision and filters the ranges last (a 100,000 x 1,000-range loop).
        first = ranges.join(
            examples,
            sa.and_(
                examples.c.dataset_id == dataset_id,
                examples.c.bucket.between(ranges.c.lo, ranges.c.hi),
            ),
        )
    if dialect == "postgresql" and metadata:
        newer = revisions.alias("newer")
        rev = revisions
        source = first.join(revisions, revisions.c.example_id == examples.c.id)
        where = [
            revisions.c.version_id <= version_id,
            revisions.c.kind != "delete",
            ~sa.exists().where(
                newer.c.example_id == revisions.c.example_id,
                newer.c.version_id > revisions.c.version_id,
                newer.c.version_id <= version_id,
            ),
        ]
    elif dialect == "postgresql":
        rev = (
            sa.select(revisions)
            .where(revisions.c.example_id == examples.c.id, revisions.c.version_id <= version_id)
            .order_by(revisions.c.version_id.desc())
            .limit(1)
            .lateral("rev")
        )
        source = first.join(rev, sa.true())
        where = [rev.c.kind != "delete"]
    else:
        rev = revisions
        source = first.join(revisions, revisions.c.example_id == examples.c.id)
        where = [
            revisions.c.version_id == _latest_revision(version_id),
            revisions.c.kind != "delete",
        ]
    cols = [(_EXAMPLE_COLUMNS[c] if c in _EXAMPLE_COLUMNS else rev.c[c]).label(c) for c in columns]
    stmt = (
        sa.select(*cols)
        .select_from(source)
        .where(examples.c.dataset_id == dataset_id, *where)
        .where(*metadata_filter(dialect, rev.c.metadata, metadata or {}))
        .order_by(examples.c.source_id)
    )
    if after is not None:
        stmt = stmt.where(examples.c.source_id > after)
    return stmt


def manifest_rows(
    conn: Connection,
    dataset_id: int,
    version_id: int,
    *,
    buckets: Iterable[tuple[int, int]] | None = None,
) -> list[Row[Any]]:
    """``(example_id, source_id, bucket, hash)`` of every live example, by source id.

    ``buckets``: only leaves in these inclusive ``(low, high)`` ranges, all in one query, by
    range then source id: the ranges are a ``WITH wanted AS (... VALUES ...)`` list that
    drives the join (first in FROM: an index probe on ``(dataset_id, bucket)`` per range;
    PostgreSQL is held to that join order), written as integer literals so that no
    bound-parameter limit applies however many ranges there are.
    """
    columns = ["example_id", "source_id", "bucket", "hash"]
    dialect = conn.dialect.name
    if buckets is None:
        return list(conn.execute(manifest_select(dialect, dataset_id, version_id, columns)))
    ranges = [(int(lo), int(hi)) for lo, hi in buckets]
    if not ranges:
        return []
    stmt = bucket_select(dialect, dataset_id, version_id, columns, ranges)
    with ranges_first(conn):
        return list(conn.execute(stmt))


def bucket_select(
    dialect: str,
    dataset_id: int,
    version_id: int,
    columns: Sequence[str],
    ranges: Sequence[tuple[int, int]],
) -> sa.Select[Any]:
    """:func:`manifest_select` of the leaves in ``ranges`` (inclusive, non-empty), by range
    then source id; run it under :func:`ranges_first`."""
    # The ranges as integer literals in SQL text: no bound-parameter limit, and no per-value
    # compilation (SQLAlchemy's literal VALUES cost ~50 us a range to render).
    rows = ",".join(f"({int(lo)},{int(hi)})" for lo, hi in ranges)
    wanted = (
        sa.text(f"SELECT column1 AS lo, column2 AS hi FROM (VALUES {rows}) AS v")
        .columns(sa.column("lo", sa.Integer), sa.column("hi", sa.Integer))
        .cte("wanted")
    )
    stmt = manifest_select(dialect, dataset_id, version_id, columns, ranges=wanted)
    return stmt.order_by(None).order_by(wanted.c.lo, examples.c.source_id)


@contextmanager
def ranges_first(conn: Connection) -> Iterator[None]:
    """Hold PostgreSQL to the written join order of :func:`bucket_select` while inside.

    The ranges have no statistics, so PostgreSQL misjudges them and joins every example to
    its revision before filtering by range (9 s instead of 0.3 s for 1,000 ranges over
    100,000 examples); JIT is off too, for estimates that far off. Other databases: no-op.
    """
    with planner(conn, "join_collapse_limit = 1", "jit = off"):
        yield


@contextmanager
def planner(conn: Connection, *settings: str) -> Iterator[None]:
    """PostgreSQL planner ``settings`` (``"name = value"``) for the statements run inside,
    then the defaults again; a no-op on other databases."""
    if conn.dialect.name != "postgresql":
        yield
        return
    for setting in settings:
        conn.exec_driver_sql(f"SET LOCAL {setting}")
    try:
        yield
    finally:
        for setting in settings:
            name = setting.partition("=")[0].strip()
            conn.exec_driver_sql(f"SET LOCAL {name} TO DEFAULT")


def head_entries(
    conn: Connection, dataset_id: int, version_id: int, source_ids: Sequence[str]
) -> dict[str, tuple[int, str | None, int]]:
    """``{source_id: (example_id, hash or None if deleted, bucket)}`` at ``version_id`` for
    those of ``source_ids`` that have an example row (live or deleted), by index lookups.

    A commit asks this per batch of operations instead of loading the whole manifest, so
    its reads grow with the change, not with the dataset.
    """
    if not source_ids:
        return {}
    e, r = examples.c, revisions.c
    stmt = (
        sa.select(e.source_id, e.id, r.kind, r.hash, e.bucket)
        .select_from(examples.join(revisions, r.example_id == e.id))
        .where(
            e.dataset_id == dataset_id,
            e.source_id.in_(list(source_ids)),
            r.version_id == _latest_revision(version_id),
        )
    )
    with planner(conn, "enable_seqscan = off"):  # an index lookup even without statistics
        rows = conn.execute(stmt).all()
    return {
        sid: (example_id, None if kind == "delete" else content_hash, bucket)
        for sid, example_id, kind, content_hash, bucket in rows
    }


def node_ranges(bits: int, nodes: Iterable[int]) -> list[tuple[int, int]]:
    """The inclusive leaf ranges covered by ``nodes`` at level ``bits``, merged."""
    shift = LEAF_BITS - bits
    ranges: list[tuple[int, int]] = []
    for node in sorted(set(nodes)):
        lo, hi = node << shift, ((node + 1) << shift) - 1
        if ranges and ranges[-1][1] + 1 == lo:
            ranges[-1] = (ranges[-1][0], hi)
        else:
            ranges.append((lo, hi))
    return ranges


_SQLITE_TYPES: dict[type, tuple[str, ...]] = {
    str: ("text",),
    bool: ("true", "false"),
    int: ("integer", "real"),
    float: ("integer", "real"),
}


def metadata_filter(
    dialect: str, column: Any, wanted: Mapping[str, Any]
) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses keeping revisions whose metadata has every ``key: value`` of ``wanted``.

    Values are JSON scalars compared by type and value (``"3"`` is not ``3``). PostgreSQL
    uses JSONB containment (``@>``, GIN-indexed); SQLite compares ``json_extract`` values.
    Raises :class:`ValidationError` for a key outside ``[A-Za-z0-9_.:/ -]`` or a non-scalar.
    """
    for key, value in wanted.items():
        if not _FILTER_KEY.match(key):
            raise ValidationError(f"metadata filter key {key!r} is not allowed", code="bad_filter")
        if value is not None and type(value) not in _SQLITE_TYPES:
            raise ValidationError(
                f"metadata filter {key!r} must be a JSON scalar", code="bad_filter"
            )
    if not wanted:
        return []
    if dialect == "postgresql":
        doc = sa.cast(sa.literal(json.dumps(dict(wanted))), revisions.c.metadata.type)
        return [column.op("@>")(doc)]
    clauses: list[sa.ColumnElement[bool]] = []
    for key, value in wanted.items():
        path = f'$."{key}"'
        kind = sa.func.json_type(column, path)
        if value is None:
            clauses.append(kind == "null")
            continue
        clauses.append(kind.in_(_SQLITE_TYPES[type(value)]))
        if type(value) is bool:
            clauses.append(kind == ("true" if value else "false"))
        else:
            clauses.append(sa.func.json_extract(column, path) == value)
    return clauses
