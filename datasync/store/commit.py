"""Applying a commit: validate a stream of operations and write one new version, atomically.

:func:`apply_operations` runs inside the caller's write transaction; any error it raises
(or that the operation stream raises) leaves the transaction to be rolled back, so a commit
writes one version or nothing. Examples are written in batches (``executemany``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg.types.json import Jsonb
from sqlalchemy.engine import Connection, Row

from datasync.canonical import content_hash
from datasync.errors import CanonicalError, HashMismatchError, ValidationError
from datasync.store.queries import manifest_rows
from datasync.store.records import CommitResult
from datasync.store.schema import datasets, examples, revisions, versions
from datasync.sync import (
    ChangeKind,
    CommitHeader,
    LeafTable,
    Mode,
    Operation,
    bucket_of,
    leaf_digest,
)

__all__ = ["BATCH", "apply_operations", "verified_hash"]

BATCH = 2000
_LISTED = 20


@dataclass
class _Live:
    """The head manifest while a commit applies: ``source_id -> (hash, bucket)``."""

    entries: dict[str, tuple[str, int]]
    example_ids: dict[str, int]  # every example row of the dataset, deleted ones too


@dataclass
class _Problems:
    duplicate: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    deletes_in_append: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any((self.duplicate, self.unknown, self.present, self.deletes_in_append))

    def error(self) -> ValidationError:
        parts, details = [], {}
        for code, label, ids in (
            ("duplicate_ids", "sent more than once", self.duplicate),
            ("unknown_ids", "not in the base version (patch/delete)", self.unknown),
            ("existing_ids", "already in the base version (create)", self.present),
            (
                "delete_in_append",
                "deleted in append mode (append never deletes)",
                self.deletes_in_append,
            ),
        ):
            if ids:
                shown = ", ".join(repr(i) for i in ids[:_LISTED])
                more = f" and {len(ids) - _LISTED} more" if len(ids) > _LISTED else ""
                parts.append(f"{label}: {shown}{more}")
                details[code] = ids[:1000]
        first = next(iter(details))
        return ValidationError(
            "refused source ids: " + "; ".join(parts), code=first, details=details
        )


def verified_hash(source_id: str, body: Operation, claimed: str | None) -> str:
    """Recompute the content hash of ``body``; raise :class:`HashMismatchError` if ``claimed``
    differs, or :class:`CanonicalError` (naming ``source_id``) if the content is refused."""
    try:
        actual = content_hash(body.input, body.output, body.metadata)
    except CanonicalError as exc:
        raise CanonicalError(
            exc.code,
            exc.path,
            f"example {source_id!r}: {exc.reason}",
            details={**exc.details, "source_id": source_id},
        ) from None
    if claimed is not None and claimed != actual:
        raise HashMismatchError(
            f"example {source_id!r}: the server computes hash {actual}, the request says"
            f" {claimed} (content hash v1 differs between client and server)",
            details={"source_id": source_id, "expected": actual, "received": claimed},
        )
    return actual


def _load_live(conn: Connection, dataset_id: int, head: int | None) -> _Live:
    rows = conn.execute(
        sa.select(examples.c.source_id, examples.c.id).where(examples.c.dataset_id == dataset_id)
    )
    ids = {source_id: example_id for source_id, example_id in rows}
    entries: dict[str, tuple[str, int]] = {}
    if head is not None:
        for row in manifest_rows(conn, dataset_id, head):
            entries[row.source_id] = (row.hash, row.bucket)
    return _Live(entries, ids)


class _Writer:
    """Buffers new example rows and revisions and writes them in batches."""

    def __init__(self, conn: Connection, dataset_id: int, version_id: int) -> None:
        self.conn, self.dataset_id, self.version_id = conn, dataset_id, version_id
        self.new_examples: list[dict[str, Any]] = []
        self.pending: list[tuple[str, dict[str, Any]]] = []

    def add(self, live: _Live, op: Operation, new_hash: str | None) -> None:
        bucket = bucket_of(op.source_id)
        if op.source_id not in live.example_ids:
            self.new_examples.append(
                {"dataset_id": self.dataset_id, "source_id": op.source_id, "bucket": bucket}
            )
        row = {
            "version_id": self.version_id,
            "kind": op.kind.value,
            "hash": new_hash,
            "input": op.input,
            "output": op.output,
            "metadata": op.metadata,
        }
        self.pending.append((op.source_id, row))
        if op.kind is ChangeKind.DELETE:
            live.entries.pop(op.source_id, None)
        else:
            assert new_hash is not None
            live.entries[op.source_id] = (new_hash, bucket)
        if len(self.pending) >= BATCH:
            self.flush(live)

    def flush(self, live: _Live) -> None:
        if self.new_examples:
            # INSERT ... RETURNING (batched multi-row VALUES) hands back the new ids at once; a
            # SELECT by source id afterwards was planned as a scan on a freshly filled table
            # and made large commits quadratic on PostgreSQL.
            found = self.conn.execute(
                examples.insert().returning(examples.c.source_id, examples.c.id),
                self.new_examples,
            )
            live.example_ids.update((source_id, example_id) for source_id, example_id in found)
            self.new_examples = []
        if self.pending:
            rows = [{**row, "example_id": live.example_ids[sid]} for sid, row in self.pending]
            try:
                _insert_many(self.conn, revisions, rows)
            except (sa.exc.DataError, psycopg.DataError) as exc:
                raise _unstorable(self.pending) from exc
            self.pending = []


_JSON_COLUMNS = frozenset({"input", "output", "metadata"})


def _insert_many(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` in one batch: COPY on PostgreSQL, ``executemany`` elsewhere."""
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(
                [
                    Jsonb(row[c]) if c in _JSON_COLUMNS and row[c] is not None else row[c]
                    for c in columns
                ]
            )


def _unstorable(pending: list[tuple[str, dict[str, Any]]]) -> ValidationError:
    # PostgreSQL's JSONB cannot hold U+0000; name the example instead of a driver error.
    for source_id, row in pending:
        if "\\u0000" in json.dumps([row["input"], row["output"], row["metadata"]]):
            return ValidationError(
                f"example {source_id!r}: PostgreSQL cannot store the character U+0000",
                code="unstorable_value",
                details={"source_id": source_id},
            )
    return ValidationError("the database refused a value of this commit", code="unstorable_value")


def _batches(ops: Iterable[Operation]) -> Iterator[list[Operation]]:
    it = iter(ops)
    while batch := list(islice(it, BATCH)):
        yield batch


def apply_operations(
    conn: Connection,
    dataset: Row[Any],
    header: CommitHeader,
    operations: Iterable[Operation],
    *,
    hashes_verified: bool = False,
) -> CommitResult:
    """Validate and write ``operations`` on top of the dataset's head as one new version.

    The caller holds the write transaction and has checked the base version. Raises
    :class:`ValidationError` (bad ids, deletes in append mode), :class:`HashMismatchError`,
    :class:`CanonicalError`; whatever it raises, the caller must roll back.
    """
    head: Row[Any] | None = None
    if dataset.head_version_id is not None:
        head = conn.execute(
            sa.select(versions).where(versions.c.id == dataset.head_version_id)
        ).one()
    live = _load_live(conn, dataset.id, dataset.head_version_id)
    before = len(live.entries)
    seen: set[str] = set()
    touched: set[int] = set()
    counts = dict.fromkeys(ChangeKind, 0)
    problems = _Problems()
    writer: _Writer | None = None
    for op in operations:
        sid = op.source_id
        if sid in seen:
            problems.duplicate.append(sid)
            continue
        seen.add(sid)
        present = live.entries.get(sid)
        if op.kind is ChangeKind.DELETE and header.mode is Mode.APPEND:
            problems.deletes_in_append.append(sid)
        elif op.kind is ChangeKind.CREATE and present is not None:
            problems.present.append(sid)
        elif op.kind is not ChangeKind.CREATE and present is None:
            problems.unknown.append(sid)
        if problems:
            continue  # keep reading to name every refused id; write nothing more
        new_hash = None
        if op.kind is not ChangeKind.DELETE:
            new_hash = op.hash if hashes_verified else verified_hash(sid, op, op.hash)
            if present is not None and present[0] == new_hash:
                continue  # a PATCH to the same content changes nothing
        if writer is None:
            writer = _Writer(conn, dataset.id, _insert_version(conn, dataset, head, header))
        writer.add(live, op, new_hash)
        touched.add(bucket_of(sid))
        counts[op.kind] += 1
    if problems:
        raise problems.error()
    if writer is None:
        total = before
        return CommitResult(
            dataset.id,
            dataset.name,
            dataset.head_version_id,
            dataset.head_version_id,
            True,
            0,
            0,
            0,
            total,
            total,
        )
    writer.flush(live)
    return _finish(conn, dataset, head, writer.version_id, live, touched, counts, before)


def _insert_version(
    conn: Connection, dataset: Row[Any], head: Row[Any] | None, header: CommitHeader
) -> int:
    values = {
        "dataset_id": dataset.id,
        "number": 1 if head is None else head.number + 1,
        "parent_id": None if head is None else head.id,
        "created_at": datetime.now(UTC),
        "message": header.message,
        "mode": header.mode.value,
        "created": 0,
        "patched": 0,
        "deleted": 0,
        "unchanged": 0,
        "total": 0,
        "root_digest": "",
        "leaf_table": b"",
        "tags": dict(header.tags),
    }
    version_id: int = conn.execute(
        versions.insert().values(values).returning(versions.c.id)
    ).scalar_one()
    return version_id


def _finish(
    conn: Connection,
    dataset: Row[Any],
    head: Row[Any] | None,
    version_id: int,
    live: _Live,
    touched: set[int],
    counts: dict[ChangeKind, int],
    before: int,
) -> CommitResult:
    by_leaf: dict[int, list[tuple[str, str]]] = {leaf: [] for leaf in touched}
    for sid, (entry_hash, bucket) in live.entries.items():
        if bucket in by_leaf:
            by_leaf[bucket].append((sid, entry_hash))
    parent = LeafTable.from_bytes(head.leaf_table) if head is not None else LeafTable({})
    table = parent.replace(
        {leaf: leaf_digest(entries) if entries else None for leaf, entries in by_leaf.items()}
    )
    created, patched, deleted = (counts[k] for k in ChangeKind)
    total = len(live.entries)
    unchanged = before - patched - deleted
    conn.execute(
        versions.update()
        .where(versions.c.id == version_id)
        .values(
            created=created,
            patched=patched,
            deleted=deleted,
            unchanged=unchanged,
            total=total,
            root_digest=table.root(),
            leaf_table=table.to_bytes(),
        )
    )
    conn.execute(
        datasets.update().where(datasets.c.id == dataset.id).values(head_version_id=version_id)
    )
    return CommitResult(
        dataset.id,
        dataset.name,
        version_id,
        dataset.head_version_id,
        False,
        created,
        patched,
        deleted,
        unchanged,
        total,
    )
