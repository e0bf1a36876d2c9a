"""Applying a commit: validate a stream of operations and write one new version, atomically.

:func:`apply_operations` runs inside the caller's write transaction; any error it raises
(or that the operation stream raises) leaves the transaction to be rolled back, so a commit
writes one version or nothing. Examples are written in batches (``executemany``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from datasync.canonical import content_hash
from datasync.errors import CanonicalError, ValidationError
from datasync.store.queries import head_entries, manifest_rows, node_ranges
from datasync.store.records import CommitResult
from datasync.store.schema import datasets, examples, revisions, versions
from datasync.sync import (
    LEAF_BITS,
    ChangeKind,
    CommitHeader,
    DecodedOperation,
    LeafTable,
    Mode,
    Operation,
    bucket_of,
    check_deletes,
    hash_mismatch,
    json_text,
    leaf_digest,
)

__all__ = ["BATCH", "apply_operations", "verified_hash"]

BATCH = 10_000  # rows per write (COPY round trips cost GIL hand-offs) and ids per lookup
_LISTED = 20
#: Refused ids after which a commit stops reading: a body of a million copies of one line
#: (a small gzip bomb) is refused at once, not after reading and listing them all.
_MAX_REFUSED = 1000


@dataclass
class _Problems:
    duplicate: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    deletes_in_append: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any((self.duplicate, self.unknown, self.present, self.deletes_in_append))

    def full(self) -> bool:
        lists = (self.duplicate, self.unknown, self.present, self.deletes_in_append)
        return sum(map(len, lists)) >= _MAX_REFUSED

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
        stopped = f" (reading stopped after {_MAX_REFUSED} refused ids)" if self.full() else ""
        return ValidationError(
            "refused source ids: " + "; ".join(parts) + stopped, code=first, details=details
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
        raise hash_mismatch(source_id, actual, claimed)
    return actual


class _Writer:
    """Buffers new example rows and revisions and writes them in batches, one batch at a time
    in a background thread while the caller validates and hashes the next one.

    Rows go to the driver directly (``executemany`` on SQLite, ``COPY`` on PostgreSQL) with
    JSON documents serialized once by orjson: SQLAlchemy's per-parameter processing (and the
    stdlib ``json.dumps`` of every document) cost more than the database's own work here.
    New examples get their ids before they are inserted (:meth:`_reserve_ids`), so no
    ``RETURNING`` or lookup is needed to link their revisions. The connection is used by one
    thread at a time: the writer thread only between :meth:`flush` and the next wait, and
    :meth:`close` / :meth:`abort` wait for it before the caller touches the connection again.
    """

    def __init__(self, conn: Connection, dataset_id: int, version_id: int) -> None:
        self.conn, self.dataset_id, self.version_id = conn, dataset_id, version_id
        self.postgres = conn.dialect.name == "postgresql"
        # A value the database refuses, raised by SQLAlchemy or (COPY) by psycopg itself;
        # psycopg is imported only on PostgreSQL (the postgres extra).
        self._data_errors: tuple[type[Exception], ...] = (sa.exc.DataError,)
        if self.postgres:
            import psycopg

            self._data_errors = (sa.exc.DataError, psycopg.DataError)
        self.new_examples: list[tuple[str, int]] = []
        self.pending: list[_Pending] = []
        self._next_id: int | None = None  # SQLite: the next free example id
        self._sequence: str | None = None  # PostgreSQL: the sequence of examples.id
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="datasync-commit")
        self._in_flight: Future[None] | None = None

    def add(self, op: Operation | DecodedOperation, new_hash: str | None, bucket: int,
            example_id: int | None) -> None:  # fmt: skip
        """Buffer one revision; ``example_id`` is ``None`` for a source id new to the dataset."""
        if example_id is None:
            self.new_examples.append((op.source_id, bucket))
        self.pending.append((op.source_id, example_id, op.kind.value, new_hash, op))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Hand the buffered rows to the writer thread (after the previous batch is written)."""
        self.wait()
        if self.pending:
            batch = (self.new_examples, self.pending)
            self.new_examples, self.pending = [], []
            self._in_flight = self._thread.submit(self._write, *batch)

    def close(self) -> None:
        """Write what is buffered and wait for it; raises what the writes raised."""
        try:
            self.flush()
            self.wait()
        finally:
            self._thread.shutdown()

    def abort(self) -> None:
        """Wait for the batch in flight (its error is dropped: the caller is failing already)."""
        if self._in_flight is not None:
            self._in_flight.exception()
            self._in_flight = None
        self._thread.shutdown()

    def wait(self) -> None:
        """Wait for the batch being written (the connection is free again); raises its error."""
        if self._in_flight is not None:
            future, self._in_flight = self._in_flight, None
            future.result()

    def _write(self, new_examples: list[tuple[str, int]], pending: list[_Pending]) -> None:
        new_ids: dict[str, int] = {}
        if new_examples:
            ids = self._reserve_ids(len(new_examples))
            rows = [
                (example_id, self.dataset_id, source_id, bucket)
                for example_id, (source_id, bucket) in zip(ids, new_examples, strict=True)
            ]
            self._insert(examples, ("id", "dataset_id", "source_id", "bucket"), rows)
            new_ids = dict(zip((source_id for source_id, _ in new_examples), ids, strict=True))
        version = self.version_id
        revision_rows = [
            (new_ids[sid] if example_id is None else example_id, version, kind, hash_, *_texts(op))
            for sid, example_id, kind, hash_, op in pending
        ]
        try:
            self._insert(revisions, _REVISION_COLUMNS, revision_rows)
        except self._data_errors as exc:
            raise _unstorable(pending) from exc

    def _reserve_ids(self, n: int) -> list[int]:
        """``n`` unused example ids: from the sequence on PostgreSQL; on SQLite after the
        largest id, which cannot move while this transaction holds the write lock."""
        if self.postgres:
            import psycopg

            driver = self.conn.connection.driver_connection
            assert isinstance(driver, psycopg.Connection)
            with driver.cursor() as cursor:
                if self._sequence is None:  # looked up once (per row it cost 5 us an id)
                    cursor.execute("SELECT pg_get_serial_sequence('examples', 'id')")
                    self._sequence = str(cursor.fetchone()[0])  # type: ignore[index]
                cursor.execute(
                    "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                    (self._sequence, int(n)),
                )
                return [example_id for (example_id,) in cursor.fetchall()]
        if self._next_id is None:
            top = self.conn.execute(sa.select(sa.func.max(examples.c.id))).scalar()
            self._next_id = (top or 0) + 1
        first, self._next_id = self._next_id, self._next_id + n
        return list(range(first, first + n))

    def _insert(
        self, table: sa.Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
    ) -> None:
        """Insert ``rows`` in one batch: COPY on PostgreSQL, ``executemany`` on SQLite."""
        driver = self.conn.connection.driver_connection
        names = ", ".join(columns)
        if self.postgres:
            import psycopg

            assert isinstance(driver, psycopg.Connection)
            sql = f"COPY {table.name} ({names}) FROM STDIN"
            with driver.cursor() as cursor, cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        assert isinstance(driver, sqlite3.Connection)
        marks = ", ".join("?" * len(columns))
        driver.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)


#: A buffered revision: source id, example id (None: new, id reserved at write), kind, hash.
_Pending = tuple[str, int | None, str, str | None, Operation | DecodedOperation]
_REVISION_COLUMNS = ("example_id", "version_id", "kind", "hash", "input", "output", "metadata")


def _texts(op: Operation | DecodedOperation) -> tuple[str | None, str | None, str | None]:
    """The parts as stored: JSON text (SQLite keeps it, PostgreSQL parses it into JSONB)."""
    if isinstance(op, DecodedOperation):
        return op.input, op.output, op.metadata
    parts = (op.input, op.output, op.metadata)
    a, b, c = (None if part is None else json_text(part) for part in parts)
    return a, b, c


def _unstorable(pending: list[_Pending]) -> ValidationError:
    # PostgreSQL's JSONB cannot hold U+0000; name the example instead of a driver error.
    for source_id, _, _, _, op in pending:
        if any("\\u0000" in text for text in _texts(op) if text is not None):
            return ValidationError(
                f"example {source_id!r}: PostgreSQL cannot store the character U+0000",
                code="unstorable_value",
                details={"source_id": source_id},
            )
    return ValidationError("the database refused a value of this commit", code="unstorable_value")


def apply_operations(
    conn: Connection,
    dataset: Row[Any],
    header: CommitHeader,
    operations: Iterable[Operation | DecodedOperation],
    *,
    hashes_verified: bool = False,
) -> CommitResult:
    """Validate and write ``operations`` on top of the dataset's head as one new version.

    A :class:`DecodedOperation` (the server's commit body) comes with its hash recomputed
    and its parts as JSON text; an :class:`Operation`'s hash is recomputed here unless
    ``hashes_verified``. The caller holds the write transaction and has checked the base
    version. Raises
    :class:`ValidationError` (bad ids, deletes in append mode), :class:`HashMismatchError`,
    :class:`CanonicalError`; whatever it raises, the caller must roll back.
    """
    head: Row[Any] | None = None
    if dataset.head_version_id is not None:
        head = conn.execute(
            sa.select(versions).where(versions.c.id == dataset.head_version_id)
        ).one()
    before = head.total if head is not None else 0
    seen: set[str] = set()
    changes: dict[str, tuple[str | None, int]] = {}  # source id -> (new hash or None, bucket)
    counts = dict.fromkeys(ChangeKind, 0)
    problems = _Problems()
    writer: _Writer | None = None
    try:
        for batch in _batches(operations):
            found: dict[str, tuple[int, str | None, int]] = {}
            if head is not None:
                if writer is not None:
                    writer.wait()  # the lookup needs the connection
                asked = [op.source_id for op in batch if op.source_id not in seen]
                found = head_entries(conn, dataset.id, head.id, asked)
            for op in batch:
                sid = op.source_id
                if sid in seen:
                    problems.duplicate.append(sid)
                    continue
                seen.add(sid)
                row = found.get(sid)
                present = row[1] if row is not None else None  # the head's hash, if live
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
                    if isinstance(op, DecodedOperation):
                        new_hash = op.checked_hash()
                    else:
                        new_hash = op.hash if hashes_verified else verified_hash(sid, op, op.hash)
                    if present == new_hash:
                        continue  # a PATCH to the same content changes nothing
                if writer is None:
                    version_id = _insert_version(conn, dataset, head, header)
                    writer = _Writer(conn, dataset.id, version_id)
                bucket = row[2] if row is not None else bucket_of(sid)
                writer.add(op, new_hash, bucket, row[0] if row is not None else None)
                changes[sid] = (new_hash, bucket)
                counts[op.kind] += 1
            if problems.full():
                break
        if problems:
            raise problems.error()
        if header.max_delete is not None:
            deletes = counts[ChangeKind.DELETE]
            after = before + counts[ChangeKind.CREATE] - deletes
            check_deletes(header.max_delete, before, deletes, after)
        if writer is not None:
            writer.close()
    except BaseException:
        if writer is not None:
            writer.abort()  # the connection is the caller's again before it rolls back
        raise
    if writer is None:
        head_number = None if head is None else head.number
        return CommitResult(
            dataset.id,
            dataset.name,
            head_number,
            head_number,
            True,
            0,
            0,
            0,
            before,
            before,
        )
    return _finish(conn, dataset, head, writer.version_id, changes, counts, before)


def _batches(operations: Iterable[Operation | DecodedOperation]) -> Iterator[list[Any]]:
    it = iter(operations)
    while batch := list(islice(it, BATCH)):
        yield batch


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
    changes: dict[str, tuple[str | None, int]],
    counts: dict[ChangeKind, int],
    before: int,
) -> CommitResult:
    """Record the new version's counts and leaf table: only the touched leaves are re-read
    (the head's entries there) and digested again."""
    by_leaf: dict[int, dict[str, str]] = {bucket: {} for _, bucket in changes.values()}
    if head is not None:
        ranges = node_ranges(LEAF_BITS, by_leaf)
        for row in manifest_rows(conn, dataset.id, head.id, buckets=ranges):
            by_leaf[row.bucket][row.source_id] = row.hash
    for sid, (new_hash, bucket) in changes.items():
        if new_hash is None:
            by_leaf[bucket].pop(sid, None)
        else:
            by_leaf[bucket][sid] = new_hash
    parent = LeafTable.from_bytes(head.leaf_table) if head is not None else LeafTable({})
    digests = {
        leaf: leaf_digest(entries.items()) if entries else None for leaf, entries in by_leaf.items()
    }
    table = parent.replace(digests)
    created, patched, deleted = (counts[k] for k in ChangeKind)
    total = before + created - deleted
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
        1 if head is None else head.number + 1,
        None if head is None else head.number,
        False,
        created,
        patched,
        deleted,
        unchanged,
        total,
    )
