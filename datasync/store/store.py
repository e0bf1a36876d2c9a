"""The :class:`Store`: the typed API the server routes and the embedded client both call."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from datasync.errors import ConflictError, NotFoundError, ValidationError
from datasync.store import queries
from datasync.store.browsing import BrowsingMixin
from datasync.store.commit import apply_operations, verified_hash
from datasync.store.diffs import DiffMixin
from datasync.store.engine import make_engine, upgrade
from datasync.store.experiments import ExperimentsMixin
from datasync.store.ids import is_id_text
from datasync.store.records import (
    CommitResult,
    DatasetInfo,
    DeletedDataset,
    ManifestEntry,
    Page,
    VersionInfo,
    decode_cursor,
    encode_cursor,
)
from datasync.store.schema import commits, datasets, revisions, versions
from datasync.store.tagging import TaggingMixin
from datasync.store.tags import tag_filter
from datasync.sync import (
    ChangeKind,
    CommitHeader,
    DecodedOperation,
    ExampleData,
    LeafTable,
    Mode,
    Operation,
    Summary,
    classify,
    deletions,
    parse_tag_filter,
    validate_dataset_name,
    validate_nodes,
    validate_tags,
)

__all__ = ["MAX_PAGE", "Store", "open_store"]

MAX_PAGE = 1000
DEFAULT_SUMMARY_BITS = 8
ANALYZE_AFTER = 10_000


def open_store(url: str) -> Store:
    """Open (and migrate to the latest schema) the store at ``url`` (a path or a database URL)."""
    engine = make_engine(url)
    upgrade(engine)
    return Store(engine)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _dataset_info(row: Row[Any], head: int | None) -> DatasetInfo:
    """``head``: the number of the head version (see :func:`queries.head_number`)."""
    return DatasetInfo(
        row.id,
        row.name,
        row.description,
        dict(row.tags),
        _utc(row.created_at),
        head,
    )


def _version_info(row: Row[Any]) -> VersionInfo:
    # A version's parent is the head it was committed on: the previous number.
    return VersionInfo(
        row.number,
        row.dataset_id,
        None if row.parent_id is None else row.number - 1,
        _utc(row.created_at),
        row.message,
        row.mode,
        row.created,
        row.patched,
        row.deleted,
        row.unchanged,
        row.total,
        row.root_digest,
        dict(row.tags),
    )


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"limit must be 1..{MAX_PAGE}, not {limit}", code="invalid_limit")
    return limit


class Store(TaggingMixin, ExperimentsMixin, DiffMixin, BrowsingMixin):
    """Datasets, their immutable versions and every example revision, in one database.

    Thread-safe: each call takes a connection from the engine's pool. Writes (commit,
    snapshot, create, delete) run in one transaction each.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._tables: OrderedDict[int, LeafTable] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def _write(self) -> Any:
        return self.engine.execution_options(datasync_write=True).begin()

    # --- datasets -------------------------------------------------------------------------

    def create_dataset(
        self, name: str, description: str = "", tags: Mapping[str, str] | None = None
    ) -> DatasetInfo:
        """Create an empty dataset. Raises :class:`ValidationError` (bad name),
        :class:`~datasync.errors.TagError`, :class:`ConflictError` (``dataset_exists``)."""
        with self._write() as conn:
            return _dataset_info(self._insert_dataset(conn, name, description, tags or {}), None)

    def _insert_dataset(
        self, conn: Connection, name: str, description: str, tags: Mapping[str, str]
    ) -> Row[Any]:
        validate_dataset_name(name)
        clean_tags = validate_tags(tags)
        if conn.execute(sa.select(datasets.c.id).where(datasets.c.name == name)).first():
            raise ConflictError(f"dataset {name!r} already exists", code="dataset_exists")
        values = {
            "name": name,
            "description": description,
            "tags": clean_tags,
            "created_at": datetime.now(UTC),
        }
        try:
            with conn.begin_nested():
                new_id = conn.execute(datasets.insert().values(values)).inserted_primary_key
        except sa.exc.IntegrityError:
            raise ConflictError(
                f"dataset {name!r} was created concurrently; retry", code="dataset_exists"
            ) from None
        assert new_id is not None
        return queries.dataset_row(conn, int(new_id[0]), lock=True)

    def get_dataset(self, name_or_id: str | int) -> DatasetInfo:
        """The dataset; raises :class:`NotFoundError`."""
        with self.engine.connect() as conn:
            row = queries.dataset_row(conn, name_or_id)
            return _dataset_info(row, queries.head_number(conn, row))

    def list_datasets(
        self,
        limit: int = 100,
        cursor: str | None = None,
        *,
        tags: Mapping[str, str | None] | None = None,
    ) -> Page[DatasetInfo]:
        """Datasets by id, ``limit`` (1..1000) per page; ``tags``: only datasets having every
        ``key: value`` (``None``: the key, any value). Raises :class:`TagError` (bad key)."""
        wanted = parse_tag_filter(tags or {})
        stmt = sa.select(datasets).order_by(datasets.c.id).limit(_limit(limit))
        stmt = stmt.where(*tag_filter(self.dialect, datasets.c.tags, wanted))
        if cursor is not None:
            stmt = stmt.where(datasets.c.id > decode_cursor(cursor, int))
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
            heads = queries.version_numbers(conn, (r.head_version_id for r in rows))
        items = tuple(_dataset_info(r, heads.get(r.head_version_id)) for r in rows)
        return Page(items, encode_cursor(items[-1].id) if len(items) == limit else None)

    def delete_dataset(self, name_or_id: str | int, *, force: bool = False) -> DeletedDataset:
        """Delete a dataset with every version, example revision, tag and tag change.

        Experiments that ran on it are deleted with it only when ``force``; otherwise a
        dataset they reference is refused (:class:`ConflictError` ``dataset_in_use``). Raises
        :class:`NotFoundError`.
        """
        with self._write() as conn:
            row = queries.dataset_row(conn, name_or_id, lock=True)
            held = queries.dataset_counts(conn, row)
            if held.experiments and not force:
                raise ConflictError(
                    f"dataset {row.name!r} is used by {held.experiments} experiment(s); delete"
                    " them with it (force, --force) or keep the dataset",
                    code="dataset_in_use",
                    details={"experiments": held.experiments},
                )
            conn.execute(datasets.delete().where(datasets.c.id == row.id))
        with self._lock:
            # SQLite may give a deleted version's id to a new version: drop cached tables.
            self._tables.clear()
        return DeletedDataset(row.id, row.name, held.versions, held.examples, held.experiments)

    def rename_dataset(self, name_or_id: str | int, new_name: str) -> DatasetInfo:
        """Give a dataset a new name; its id, versions, tags, history and experiments stay.

        Raises :class:`ValidationError` (bad name), :class:`ConflictError` (``dataset_exists``)
        and :class:`NotFoundError`.
        """
        validate_dataset_name(new_name)
        with self._write() as conn:
            row = queries.dataset_row(conn, name_or_id, lock=True)
            if new_name == row.name:
                return _dataset_info(row, queries.head_number(conn, row))
            taken = sa.select(datasets.c.id).where(datasets.c.name == new_name)
            if conn.execute(taken).first():
                raise ConflictError(f"dataset {new_name!r} already exists", code="dataset_exists")
            try:
                with conn.begin_nested():
                    rename = datasets.update().where(datasets.c.id == row.id)
                    conn.execute(rename.values(name=new_name))
            except sa.exc.IntegrityError:
                raise ConflictError(
                    f"dataset {new_name!r} was created concurrently", code="dataset_exists"
                ) from None
            renamed = queries.dataset_row(conn, row.id)
            return _dataset_info(renamed, queries.head_number(conn, renamed))

    # --- versions and manifests -----------------------------------------------------------

    def list_versions(
        self,
        name_or_id: str | int,
        limit: int = 100,
        cursor: str | None = None,
        *,
        tags: Mapping[str, str | None] | None = None,
    ) -> Page[VersionInfo]:
        """The dataset's versions, newest first; ``tags`` filters as in :meth:`list_datasets`.
        Raises :class:`NotFoundError`, :class:`TagError`."""
        wanted = parse_tag_filter(tags or {})
        with self.engine.connect() as conn:
            ds = queries.dataset_row(conn, name_or_id)
            stmt = (
                sa.select(versions)
                .where(versions.c.dataset_id == ds.id)
                .where(*tag_filter(self.dialect, versions.c.tags, wanted))
                .order_by(versions.c.number.desc())
                .limit(_limit(limit))
            )
            if cursor is not None:
                stmt = stmt.where(versions.c.number < decode_cursor(cursor, int))
            items = tuple(_version_info(r) for r in conn.execute(stmt))
        return Page(items, encode_cursor(items[-1].id) if len(items) == limit else None)

    def get_version(self, name_or_id: str | int, version_id: int | None = None) -> VersionInfo:
        """Version number ``version_id`` (default: the head); raises :class:`NotFoundError`."""
        with self.engine.connect() as conn:
            ds = queries.dataset_row(conn, name_or_id)
            row = queries.version_row(conn, ds, version_id)
        if row is None:
            raise NotFoundError(f"dataset {ds.name!r} has no versions yet", code="no_versions")
        return _version_info(row)

    def _leaf_table(
        self, name_or_id: str | int, version_id: int | None
    ) -> tuple[Row[Any], Row[Any] | None, LeafTable]:
        with self.engine.connect() as conn:
            ds = queries.dataset_row(conn, name_or_id)
            row = queries.version_row(conn, ds, version_id)
        if row is None:
            return ds, None, LeafTable({})
        with self._lock:
            table = self._tables.get(row.id)
            if table is None:
                table = self._tables[row.id] = LeafTable.from_bytes(row.leaf_table)
                while len(self._tables) > 16:
                    self._tables.popitem(last=False)
        return ds, row, table

    def get_summary(
        self, name_or_id: str | int, version_id: int | None = None, bits: int = DEFAULT_SUMMARY_BITS
    ) -> Summary:
        """The manifest summary at level ``bits`` (head by default; an empty dataset's head
        has ``version_id`` ``None`` and count 0). Raises :class:`NotFoundError`,
        :class:`ValidationError` (``invalid_bits``)."""
        validate_nodes(bits, [])
        _, row, table = self._leaf_table(name_or_id, version_id)
        return Summary.of(
            table, 0 if row is None else row.total, bits, None if row is None else row.number
        )

    def bucket_digests(
        self, name_or_id: str | int, version_id: int | None, bits: int, nodes: Iterable[int]
    ) -> dict[int, str]:
        """Digests of ``nodes`` at level ``bits`` of a version's manifest."""
        wanted = list(nodes)
        validate_nodes(bits, wanted)
        return self._leaf_table(name_or_id, version_id)[2].digests(bits, wanted)

    def bucket_entries(
        self, name_or_id: str | int, version_id: int | None, bits: int, nodes: Iterable[int]
    ) -> list[ManifestEntry]:
        """Every ``(source_id, hash)`` in ``nodes`` at level ``bits``, by source id."""
        wanted = list(nodes)
        validate_nodes(bits, wanted)
        ranges = queries.node_ranges(bits, wanted)
        out: list[ManifestEntry] = []
        with self.engine.connect() as conn:
            ds = queries.dataset_row(conn, name_or_id)
            row = queries.version_row(conn, ds, version_id)
            if row is None:
                return []
            rows = queries.manifest_rows(conn, ds.id, row.id, buckets=ranges)
            out.extend(ManifestEntry(r.source_id, r.hash, r.bucket) for r in rows)
        out.sort(key=lambda e: e.source_id)
        return out

    def iter_manifest(
        self, name_or_id: str | int, version_id: int | None = None, batch: int = 5000
    ) -> Iterator[ManifestEntry]:
        """Every ``(source_id, hash)`` of a version, by source id, streamed from one query
        (``batch`` rows at a time); the connection is held until the iterator ends."""
        with self.engine.connect() as conn:
            ds = queries.dataset_row(conn, name_or_id)
            row = queries.version_row(conn, ds, version_id)
            if row is None:
                return
            stmt = queries.manifest_select(
                self.dialect, ds.id, row.id, ["source_id", "bucket", "hash"]
            )
            result = conn.execution_options(yield_per=batch).execute(stmt)
            for r in result:
                yield ManifestEntry(r.source_id, r.hash, r.bucket)

    def iter_examples(
        self,
        name_or_id: str | int,
        version_id: int | None = None,
        *,
        metadata: Mapping[str, Any] | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[ExampleData]:
        """One page of a version's examples by source id, exactly as committed.

        ``metadata``: keep examples whose metadata holds each ``key: value`` (JSON scalars).
        Raises :class:`NotFoundError`, :class:`ValidationError` (filter, limit, cursor).
        """
        after = decode_cursor(cursor, str) if cursor is not None else None
        columns = ["source_id", "hash", "input", "output", "metadata"]
        with self.engine.connect() as conn:
            ds = queries.dataset_row(conn, name_or_id)
            row = queries.version_row(conn, ds, version_id)
            if row is None:
                queries.metadata_filter(self.dialect, revisions.c.metadata, metadata or {})
                return Page(())
            stmt = queries.manifest_select(
                self.dialect, ds.id, row.id, columns, metadata=metadata, after=after
            ).limit(_limit(limit))
            rows = conn.execute(stmt).all()
        items = tuple(ExampleData(r.source_id, r.input, r.output, r.metadata, r.hash) for r in rows)
        return Page(items, encode_cursor(items[-1].source_id) if len(items) == limit else None)

    # --- writes ---------------------------------------------------------------------------

    def commit(
        self,
        dataset: str | int,
        operations: Iterable[Operation | DecodedOperation],
        header: CommitHeader | None = None,
        *,
        create: bool = True,
    ) -> CommitResult:
        """Apply ``operations`` (streamed) on ``header.base_version_id`` as one new version.

        The dataset (by name or id) is created when a name is unknown and ``create``. Every
        hash is recomputed. One transaction: a new version, or nothing (no changes: no new
        version, ``no_op`` and the head). The same ``idempotency_key`` returns the first
        result. Raises :class:`ConflictError` (base is not the head), :class:`HashMismatchError`,
        :class:`ValidationError` naming bad ids, :class:`NotFoundError`,
        :class:`~datasync.errors.CanonicalError`, and whatever the operation stream raises.
        """
        header = header or CommitHeader()
        with self._write() as conn:
            ds, replay = self._begin_commit(conn, dataset, header, create)
            if replay is not None:
                return replay
            self._check_base(conn, ds, header.base_version_id)
            result = apply_operations(conn, ds, header, operations)
            self._remember(conn, ds, header, result)
        self._refresh_statistics(result)
        return result

    def snapshot(
        self,
        dataset: str | int,
        items: Iterable[ExampleData],
        header: CommitHeader | None = None,
        *,
        create: bool = True,
    ) -> CommitResult:
        """Make the dataset hold ``items`` (server-side diff): ``mirror`` deletes ids not
        given, ``append`` keeps them. ``base_version_id`` is checked only when given. Same
        validation, transaction and result as :meth:`commit`."""
        header = header or CommitHeader()
        with self._write() as conn:
            ds, replay = self._begin_commit(conn, dataset, header, create)
            if replay is not None:
                return replay
            if header.base_version_id is not None:
                self._check_base(conn, ds, header.base_version_id)
            remote = {
                r.source_id: r.hash
                for r in (
                    queries.manifest_rows(conn, ds.id, ds.head_version_id)
                    if ds.head_version_id is not None
                    else []
                )
            }
            ops = _snapshot_operations(items, remote, header.mode)
            result = apply_operations(conn, ds, header, ops, hashes_verified=True)
            self._remember(conn, ds, header, result)
        self._refresh_statistics(result)
        return result

    def _refresh_statistics(self, result: CommitResult) -> None:
        # PostgreSQL plans paged reads by index only with fresh statistics; autovacuum lags a
        # bulk load by minutes, so a large commit analyzes the two big tables itself.
        if self.dialect == "postgresql" and result.created + result.patched >= ANALYZE_AFTER:
            with self.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE examples")
                conn.exec_driver_sql("ANALYZE revisions")

    def _begin_commit(
        self, conn: Connection, dataset: str | int, header: CommitHeader, create: bool
    ) -> tuple[Row[Any], CommitResult | None]:
        try:
            ds = queries.dataset_row(conn, dataset, lock=True)
        except NotFoundError:
            if not create or isinstance(dataset, int) or is_id_text(dataset):
                raise
            ds = self._insert_dataset(conn, dataset, "", {})
        if header.idempotency_key is not None:
            stored = conn.execute(
                sa.select(commits.c.result).where(
                    commits.c.dataset_id == ds.id,
                    commits.c.idempotency_key == header.idempotency_key,
                )
            ).scalar()
            if stored is not None:
                return ds, CommitResult.from_wire(stored)
        return ds, None

    @staticmethod
    def _check_base(conn: Connection, ds: Row[Any], base: int | None) -> None:
        head = queries.head_number(conn, ds)
        if base != head:
            raise ConflictError(
                f"dataset {ds.name!r} is at version {head}, not {base}: plan again"
                " against the head",
                details={"base_version_id": base, "head_version_id": head},
            )

    @staticmethod
    def _remember(
        conn: Connection, ds: Row[Any], header: CommitHeader, result: CommitResult
    ) -> None:
        if header.idempotency_key is None:
            return
        conn.execute(
            commits.insert().values(
                dataset_id=ds.id,
                idempotency_key=header.idempotency_key,
                result=result.to_wire(),
                created_at=datetime.now(UTC),
            )
        )


def _snapshot_operations(
    items: Iterable[ExampleData], remote: dict[str, str], mode: Mode
) -> Iterator[Operation]:
    """The operations that make ``remote`` hold ``items`` (one definition: sync.classify)."""
    seen: set[str] = set()
    for item in items:
        sid = item.source_id
        if sid in seen:
            raise ValidationError(
                f"refused source ids: sent more than once: {sid!r}",
                code="duplicate_ids",
                details={"duplicate_ids": [sid]},
            )
        seen.add(sid)
        body = Operation(ChangeKind.CREATE, sid, None, item.input, item.output, item.metadata)
        new_hash = verified_hash(sid, body, item.hash)
        kind = classify(sid, new_hash, remote)
        if kind is not None:
            yield Operation(kind, sid, new_hash, item.input, item.output, item.metadata)
    for sid in deletions(remote, seen, mode):
        yield Operation(ChangeKind.DELETE, sid)
