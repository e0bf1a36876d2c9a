"""``client.datasets``: upsert (plan on the client, send only the changes), read, list, diff."""

from __future__ import annotations

import random
import time
import uuid
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from datasync.client._backend import Backend
from datasync.client._local import LocalManifest, LocalSource, RowMapping, local_source
from datasync.client._remote import (
    EXACT,
    FAST,
    SAFE,
    Fingerprints,
    LocalPlan,
    RemoteView,
    plan_against,
    remote_view,
)
from datasync.client._results import ChangeSummary, Dataset, Diff, Transfer, VersionDiff
from datasync.client._tags import DatasetTagsMixin, TagFilter
from datasync.errors import ConflictError, DeleteGuardError, NotFoundError, UsageError
from datasync.store import CommitResult, DatasetInfo, DeletedDataset, VersionInfo
from datasync.sync import (
    DEFAULT_DELETE_LIMIT,
    ChangeKind,
    CommitHeader,
    DeleteLimit,
    EncodedOperation,
    LeafTable,
    Mode,
    Operation,
    check_deletes,
    parse_mode,
    validate_dataset_name,
    validate_tags,
)

__all__ = ["DatasetsAPI", "Progress"]

#: How often a push is attempted, and for how long, while other pushes keep moving the head.
DEFAULT_RETRIES = 10
DEFAULT_RETRY_SECONDS = 120.0
_BACKOFF_FIRST, _BACKOFF_CAP = 0.05, 4.0  # seconds; the n-th wait is up to FIRST * 2**n

MaxDelete = DeleteLimit | float | int | str

#: ``progress(phase, count)``: phases are ``"hash"`` (examples hashed so far) and ``"send"``
#: (examples put into the commit so far).
Progress = Callable[[str, int], None]


@dataclass
class _Planned:
    remote: RemoteView
    plan: LocalPlan

    def summary(self) -> ChangeSummary:
        plan = self.plan
        return ChangeSummary(
            len(plan.creates), len(plan.patches), len(plan.deletes), plan.unchanged
        )

    def check(self, mode: Mode, limit: DeleteLimit) -> None:
        """Raise :class:`DeleteGuardError` if this mirror plan deletes more than ``limit``."""
        if mode is Mode.MIRROR:
            plan, before = self.plan, self.remote.count
            deletes = len(plan.deletes)
            check_deletes(limit, before, deletes, before + len(plan.creates) - deletes)


@dataclass
class _Retry:
    """Jittered exponential backoff between attempts of a commit that met ``stale_base``."""

    attempts: int
    seconds: float
    started: float = field(default_factory=time.monotonic)
    failed: int = 0

    def wait_or_raise(self, dataset: str | int, conflict: ConflictError) -> None:
        """Sleep before the next attempt, or raise ``conflict`` (with a message that says
        what happened) when the attempts or the deadline are used up."""
        self.failed += 1
        delay = random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_FIRST * 2**self.failed))
        elapsed = time.monotonic() - self.started
        if self.failed >= self.attempts or elapsed + delay > self.seconds:
            raise ConflictError(
                f"dataset {dataset!r} kept changing under this push: {self.failed} attempt(s)"
                f" in {elapsed:.1f} s each found a newer head (other pushes landed first)."
                " Nothing of this push was written; run it again, or allow more with"
                " --retries (Python retries=, retry_seconds=)",
                code=conflict.code,
                details={**conflict.details, "attempts": self.failed},
            ) from conflict
        time.sleep(delay)


class DatasetsAPI(DatasetTagsMixin):
    """Datasets in one store (embedded or remote); reached as ``client.datasets``."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    # --- writes ---------------------------------------------------------------------------

    def upsert_dataset(
        self,
        dataset: str | int,
        examples: object,
        source_id_key: str | None = "id",
        source_id_fn: Callable[[Mapping[str, Any]], Any] | None = None,
        input_keys: Sequence[str] | None = None,
        output_keys: Sequence[str] | None = None,
        metadata_keys: Sequence[str] | None = None,
        mode: Mode | str = "mirror",
        message: str | None = None,
        tags: Mapping[str, str] | None = None,
        *,
        dataset_tags: Mapping[str, str] | None = None,
        workers: int | None = None,
        source_options: Mapping[str, Any] | None = None,
        max_errors: int = 1,
        progress: Progress | None = None,
        max_delete: MaxDelete = DEFAULT_DELETE_LIMIT,
        retries: int = DEFAULT_RETRIES,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
    ) -> Dataset:
        """Make ``dataset`` hold ``examples`` (``mirror``) or add/update them (``append``).

        ``examples``: a list or iterable of dicts, a pandas DataFrame, a pyarrow Table, or a
        path/URI that :func:`datasync.sources.open_source` reads (``source_options`` are its
        extra options, e.g. ``format``, ``strict``). Every example is hashed locally, the plan
        is made against the remote head's manifest summary, and only CREATE/PATCH/DELETE
        travel, in one commit. When a concurrent push moved the head first
        (:class:`ConflictError`, ``stale_base``) it plans again and retries with jittered
        exponential backoff, up to ``retries`` attempts within ``retry_seconds``. The dataset
        (by name) is created on its first push. Nothing changed: no new version (``no_op``).
        ``tags`` tag the new version; ``dataset_tags`` are added to the dataset's own tags
        after the push (also on a no-op; checked before anything is sent).

        ``max_delete`` guards a mirror push against wiping the dataset: a fraction (``0.5``,
        the default; applies to datasets of at least 10 examples), a count (``100``), or a
        string (``"50%"``, ``"100"``); ``1.0`` allows anything. A source with no examples is
        refused whatever the size unless the limit allows deleting everything. The store
        checks the commit against the same limit.

        Raises :class:`SourceError` (bad data, nothing sent), :class:`DeleteGuardError`
        (``empty_source``, ``too_many_deletes``; nothing sent),
        ``max_errors``: how many bad examples to collect before stopping (0: all); they are
        raised together as one :class:`SourceError` listing each (``details["errors"]``).
        :class:`ValidationError`/:class:`TagError`, :class:`UsageError` (options),
        :class:`ConflictError` (attempts or time used up), :class:`TransportError`,
        :class:`AuthError`.
        """
        started = time.perf_counter()
        mode, tags = self._check(dataset, mode, tags)
        limit = DeleteLimit.parse(max_delete)
        retry = _retry(retries, retry_seconds)
        clean_dataset_tags = validate_tags(dataset_tags or {})
        mapping = RowMapping(
            source_id_key,
            source_id_fn,
            input_keys,
            output_keys,
            metadata_keys,
            dict(source_options or {}),
            max_errors,
        )
        wire0 = (self._backend.wire.sent, self._backend.wire.received)
        with local_source(examples, mapping, workers) as source:
            manifest = _hash(source, progress)
            table = manifest.table()
            result, planned = self._push(
                dataset, source, manifest, table, mode, message, tags, progress, limit, retry
            )
        transfer = self._transfer(wire0, started)
        summary = (
            ChangeSummary(result.created, result.patched, result.deleted, result.unchanged)
            if result is not None
            else planned.summary()
        )
        dataset_id = result.dataset_id if result is not None else planned.remote.dataset_id
        if clean_dataset_tags and dataset_id is not None:
            self.add_tags(dataset_id, clean_dataset_tags)
        if result is None:  # nothing to send: the head stays
            assert planned.remote.dataset_id is not None
            info = self._backend.get_dataset(planned.remote.dataset_id)
            return Dataset(
                info.id,
                info.name,
                planned.remote.version_id,
                summary,
                planned.remote.version_id,
                True,
                planned.remote.count,
                transfer,
                self._backend,
            )
        return Dataset(
            result.dataset_id,
            result.dataset,
            result.version_id,
            summary,
            result.base_version_id,
            result.no_op,
            result.total,
            transfer,
            self._backend,
        )

    def _push(
        self,
        dataset: str | int,
        source: LocalSource,
        manifest: LocalManifest,
        table: LeafTable,
        mode: Mode,
        message: str | None,
        tags: dict[str, str],
        progress: Progress | None,
        limit: DeleteLimit,
        retry: _Retry,
    ) -> tuple[CommitResult | None, _Planned]:
        fingerprints = FAST if mode is Mode.MIRROR else SAFE
        first: CommitResult | None = None  # set when a correction follows a verified miss
        retry.started = time.monotonic()  # the deadline counts from the first plan, not hashing
        while True:
            planned = self._plan(dataset, manifest, table, mode, fingerprints)
            if planned.plan.is_empty and planned.remote.dataset_id is not None:
                if not _missed(planned.remote, table, mode, fingerprints):
                    return first, planned
                fingerprints = EXACT  # a shortened comparison hid a change: compare in full
                continue
            planned.check(mode, limit)  # every plan, the re-plans after a conflict too
            header = CommitHeader(
                planned.remote.version_id,
                mode,
                uuid.uuid4().hex,
                message,
                tags,
                limit if mode is Mode.MIRROR else None,
            )
            target: str | int = (
                planned.remote.dataset_id if planned.remote.dataset_id is not None else dataset
            )
            ops = _operations(source, manifest, planned.plan, progress)
            try:
                result = self._backend.commit(target, header, ops)
            except ConflictError as exc:
                # dataset_exists: another push created the dataset first; plan against it
                if exc.code not in ("stale_base", "dataset_exists"):
                    raise
                retry.wait_or_raise(dataset, exc)
                continue
            result = result if first is None else _merged(first, result)
            if fingerprints.exact or mode is not Mode.MIRROR or self._verified(result, table):
                return result, planned
            first, fingerprints = result, EXACT  # commit what the shortened plan missed

    def _verified(self, result: CommitResult, table: LeafTable) -> bool:
        """After a mirror commit the new version's full root must equal the local one."""
        if result.version_id is None:
            return True
        return self._backend.get_version(result.dataset_id, result.version_id).root == table.root()

    def _plan(
        self,
        dataset: str | int,
        manifest: LocalManifest,
        table: LeafTable,
        mode: Mode,
        fingerprints: Fingerprints = EXACT,
        version_id: int | None = None,
    ) -> _Planned:
        remote = remote_view(self._backend, dataset, table, len(manifest), fingerprints, version_id)
        return _Planned(remote, plan_against(manifest, remote, mode))

    # --- reads ----------------------------------------------------------------------------

    def diff(
        self,
        dataset: str | int,
        examples: object,
        source_id_key: str | None = "id",
        source_id_fn: Callable[[Mapping[str, Any]], Any] | None = None,
        input_keys: Sequence[str] | None = None,
        output_keys: Sequence[str] | None = None,
        metadata_keys: Sequence[str] | None = None,
        mode: Mode | str = "mirror",
        *,
        workers: int | None = None,
        source_options: Mapping[str, Any] | None = None,
        max_errors: int = 1,
        progress: Progress | None = None,
        version_id: int | None = None,
        max_delete: MaxDelete = DEFAULT_DELETE_LIMIT,
    ) -> Diff:
        """What :meth:`upsert_dataset` with the same arguments would change, without
        changing anything; with ``version_id``, against that version instead of the head.
        A dataset that does not exist yet diffs as empty. ``guard`` is the
        :class:`DeleteGuardError` the push would stop with under ``max_delete`` (else
        ``None``). Raises as :meth:`upsert_dataset` does (except :class:`ConflictError` and
        :class:`DeleteGuardError`), and :class:`NotFoundError` for a version."""
        started = time.perf_counter()
        mode, _ = self._check(dataset, mode, None)
        limit = DeleteLimit.parse(max_delete)
        mapping = RowMapping(
            source_id_key,
            source_id_fn,
            input_keys,
            output_keys,
            metadata_keys,
            dict(source_options or {}),
            max_errors,
        )
        wire0 = (self._backend.wire.sent, self._backend.wire.received)
        with local_source(examples, mapping, workers) as source:
            manifest = _hash(source, progress)
        table = manifest.table()
        fingerprints = FAST if mode is Mode.MIRROR else SAFE
        planned = self._plan(dataset, manifest, table, mode, fingerprints, version_id)
        if planned.plan.is_empty and _missed(planned.remote, table, mode, fingerprints):
            planned = self._plan(dataset, manifest, table, mode, EXACT, version_id)
        guard: DeleteGuardError | None = None
        try:
            planned.check(mode, limit)
        except DeleteGuardError as exc:
            guard = exc
        return Diff(
            dataset,
            planned.remote.dataset_id,
            planned.remote.version_id,
            mode,
            planned.plan.to_plan(manifest),
            self._transfer(wire0, started),
            guard,
        )

    def diff_versions(
        self, dataset: str | int, a: int | None, b: int | None, *, page_size: int = 500
    ) -> VersionDiff:
        """What changed from version ``a`` to version ``b`` of ``dataset`` (``None``: the
        head): created, deleted and patched examples, each PATCH with its changed fields.
        Computed by the store from the stored hashes (unchanged examples are not read) and
        fetched ``page_size`` (1..1000) examples at a time as you iterate.
        Raises :class:`NotFoundError` (dataset, version), :class:`ValidationError`."""
        first = self._backend.diff_versions(dataset, a, b, page_size, None)
        return VersionDiff.of(dataset, (a, b), first, self._backend, page_size)

    def get_dataset(
        self,
        name_or_id: str | int,
        version_id: int | None = None,
        *,
        version_tags: TagFilter | None = None,
    ) -> Dataset:
        """The dataset at ``version_id`` (default: its head), or at its newest version tagged
        with every ``version_tags`` pair. Raises :class:`NotFoundError` (``no_tagged_version``
        when no version has those tags), :class:`UsageError` (both given)."""
        if version_tags:
            version_id = self._tagged_version(name_or_id, version_id, version_tags)
        info = self._backend.get_dataset(name_or_id)
        if version_id is None and info.head_version_id is None:
            return Dataset(info.id, info.name, None, ChangeSummary(), _backend=self._backend)
        version = self._backend.get_version(info.id, version_id)
        return _dataset_at(info, version, self._backend)

    def delete_dataset(self, name_or_id: str | int, *, force: bool = False) -> DeletedDataset:
        """Delete the dataset: every version, example revision, tag and tag change (nothing
        of it can be read back). Experiments that ran on it are deleted too only with
        ``force``; without it a dataset they use is refused (:class:`ConflictError`
        ``dataset_in_use``). Returns what was removed. Raises :class:`NotFoundError`."""
        return self._backend.delete_dataset(name_or_id, force)

    def rename_dataset(self, name_or_id: str | int, new_name: str) -> Dataset:
        """Rename the dataset; its id, versions, tags, tag history and experiments follow.
        Returns it at its head. Raises :class:`ValidationError` (bad name),
        :class:`ConflictError` (``dataset_exists``), :class:`NotFoundError`."""
        info = self._backend.rename_dataset(name_or_id, new_name)
        return self.get_dataset(info.id)

    def list_datasets(self, tags: TagFilter | None = None) -> list[DatasetInfo]:
        """Every dataset, by id; ``tags``: only those having every ``key: value`` (a ``None``
        value: having the key), e.g. ``{"env": "prod", "batch": None}``."""
        out: list[DatasetInfo] = []
        cursor: str | None = None
        while True:
            page = self._backend.list_datasets(500, cursor, tags)
            out.extend(page.items)
            if page.next_cursor is None:
                return out
            cursor = page.next_cursor

    def list_versions(
        self, name_or_id: str | int, tags: TagFilter | None = None
    ) -> list[VersionInfo]:
        """Every version of a dataset, newest first; ``tags`` filters as in
        :meth:`list_datasets`. Raises :class:`NotFoundError`."""
        out: list[VersionInfo] = []
        cursor: str | None = None
        while True:
            page = self._backend.list_versions(name_or_id, 500, cursor, tags)
            out.extend(page.items)
            if page.next_cursor is None:
                return out
            cursor = page.next_cursor

    # --- helpers --------------------------------------------------------------------------

    def _tagged_version(
        self, name_or_id: str | int, version_id: int | None, tags: TagFilter
    ) -> int:
        if version_id is not None:
            raise UsageError("give a version id or version tags, not both", code="bad_option")
        page = self._backend.list_versions(name_or_id, 1, None, tags)
        if not page.items:
            wanted = " ".join(f"{k}={v}" if v is not None else k for k, v in tags.items())
            raise NotFoundError(
                f"dataset {name_or_id!r} has no version tagged {wanted}", code="no_tagged_version"
            )
        return page.items[0].id

    @staticmethod
    def _check(
        dataset: str | int, mode: Mode | str, tags: Mapping[str, str] | None
    ) -> tuple[Mode, dict[str, str]]:
        if isinstance(dataset, str) and not dataset.isdigit():
            validate_dataset_name(dataset)
        return parse_mode(mode), validate_tags(tags or {})

    def _transfer(self, wire0: tuple[int, int], started: float) -> Transfer:
        wire = self._backend.wire
        return Transfer(
            wire.sent - wire0[0], wire.received - wire0[1], time.perf_counter() - started
        )


def _retry(attempts: int, seconds: float) -> _Retry:
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise UsageError(f"retries must be an integer >= 1, not {attempts!r}", code="bad_option")
    if not seconds > 0:
        raise UsageError(f"retry_seconds must be > 0, not {seconds!r}", code="bad_option")
    return _Retry(attempts, float(seconds))


def _missed(remote: RemoteView, table: LeafTable, mode: Mode, fingerprints: Fingerprints) -> bool:
    """An empty mirror plan although the full roots differ: shortened digests or hashes
    called a difference equal (see docs/protocol.md, "Shortened comparisons")."""
    if mode is not Mode.MIRROR or fingerprints.exact or remote.root is None:
        return False
    return remote.root != table.root()


def _merged(first: CommitResult, second: CommitResult) -> CommitResult:
    """One result for a commit and the correction that followed it."""
    created = first.created + second.created
    patched = first.patched + second.patched
    return CommitResult(
        second.dataset_id,
        second.dataset,
        second.version_id,
        first.base_version_id,
        first.no_op and second.no_op,
        created,
        patched,
        first.deleted + second.deleted,
        second.total - created - patched,
        second.total,
    )


def _dataset_at(info: DatasetInfo, version: VersionInfo, backend: Backend) -> Dataset:
    summary = ChangeSummary(version.created, version.patched, version.deleted, version.unchanged)
    return Dataset(
        info.id,
        info.name,
        version.id,
        summary,
        version.parent_id,
        False,
        version.total,
        _backend=backend,
    )


def _hash(source: LocalSource, progress: Progress | None) -> LocalManifest:
    if progress is None:
        return source.manifest()
    manifest = source.manifest(lambda n: progress("hash", n))
    progress("hash", len(manifest))
    return manifest


def _operations(
    source: LocalSource, manifest: LocalManifest, plan: LocalPlan, progress: Progress | None
) -> Iterator[Operation | EncodedOperation]:
    """The commit's operations: bodies re-read from the source for CREATE/PATCH (in source
    order), then DELETEs."""
    sends = array("I", (p for p, _ in plan.sends()))
    patches, next_patch = plan.patches, 0
    contents = source.contents(manifest, sends)
    if contents is not None:  # JSONL: content bytes from worker processes, nothing re-built
        for n, (position, content) in enumerate(zip(sends, contents, strict=True), 1):
            kind = ChangeKind.CREATE
            if next_patch < len(patches) and patches[next_patch] == position:
                kind, next_patch = ChangeKind.PATCH, next_patch + 1
            sid, digest = manifest.id_at(position), manifest.hash_at(position)
            yield EncodedOperation(kind, sid, digest, content)
            if progress is not None and n % 1000 == 0:
                progress("send", n)
        for sid in plan.deletes:
            yield Operation(ChangeKind.DELETE, sid)
        return
    bodies = zip(sends, source.bodies(manifest, sends), strict=True)
    for n, (position, example) in enumerate(bodies, 1):
        kind = ChangeKind.CREATE
        if next_patch < len(patches) and patches[next_patch] == position:
            kind, next_patch = ChangeKind.PATCH, next_patch + 1
        yield Operation(
            kind,
            manifest.id_at(position),
            manifest.hash_at(position),
            example.input,
            example.output,
            example.metadata,
        )
        if progress is not None and n % 1000 == 0:
            progress("send", n)
    for sid in plan.deletes:
        yield Operation(ChangeKind.DELETE, sid)
