"""The embedded backend: the client calls a :class:`~datasync.store.Store` in-process."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from datasync.client._backend import Backend, TagFilter, WireCounter
from datasync.store import (
    CommitResult,
    DatasetInfo,
    DeletedDataset,
    DiffPage,
    ManifestEntry,
    Page,
    Store,
    TagChange,
    VersionInfo,
    open_store,
)
from datasync.sync import (
    CommitHeader,
    EncodedOperation,
    ExampleData,
    Operation,
    Summary,
    child_nodes,
    validate_nodes,
)
from datasync.sync.experiment_records import EvaluationRecord, ExperimentInfo, RunRecord

__all__ = ["EmbeddedBackend"]


class EmbeddedBackend(Backend):
    """A store opened in this process (SQLite file or PostgreSQL URL); no bytes on a wire."""

    def __init__(self, url: str) -> None:
        self.location = url
        self.wire = WireCounter()
        self.store: Store = open_store(url)

    def get_dataset(self, name_or_id: str | int) -> DatasetInfo:
        return self.store.get_dataset(name_or_id)

    def delete_dataset(self, name_or_id: str | int, force: bool) -> DeletedDataset:
        return self.store.delete_dataset(name_or_id, force=force)

    def rename_dataset(self, name_or_id: str | int, new_name: str) -> DatasetInfo:
        return self.store.rename_dataset(name_or_id, new_name)

    def list_datasets(
        self, limit: int, cursor: str | None, tags: TagFilter | None = None
    ) -> Page[DatasetInfo]:
        return self.store.list_datasets(limit, cursor, tags=tags)

    def list_versions(
        self, name_or_id: str | int, limit: int, cursor: str | None, tags: TagFilter | None = None
    ) -> Page[VersionInfo]:
        return self.store.list_versions(name_or_id, limit, cursor, tags=tags)

    def get_version(self, name_or_id: str | int, version_id: int | None) -> VersionInfo:
        return self.store.get_version(name_or_id, version_id)

    def get_summary(self, name_or_id: str | int, version_id: int | None, bits: int) -> Summary:
        return self.store.get_summary(name_or_id, version_id, bits)

    def bucket_digests(
        self,
        name_or_id: str | int,
        version_id: int,
        bits: int,
        nodes: list[int],
        *,
        parent_bits: int | None = None,
        digest_chars: int = 32,
    ) -> dict[int, str]:
        if parent_bits is not None:
            validate_nodes(parent_bits, nodes)
            nodes = [c for p in nodes for c in child_nodes(p, parent_bits, bits)]
        digests = self.store.bucket_digests(name_or_id, version_id, bits, nodes)
        return {node: digest[:digest_chars] for node, digest in digests.items()}

    def bucket_entries(
        self,
        name_or_id: str | int,
        version_id: int,
        bits: int,
        nodes: list[int],
        *,
        hash_chars: int = 64,
    ) -> list[ManifestEntry]:
        entries = self.store.bucket_entries(name_or_id, version_id, bits, nodes)
        if hash_chars >= 64:
            return entries
        return [ManifestEntry(e.source_id, e.hash[:hash_chars], e.bucket) for e in entries]

    def iter_manifest(self, name_or_id: str | int, version_id: int) -> Iterator[ManifestEntry]:
        return self.store.iter_manifest(name_or_id, version_id)

    def iter_examples(
        self,
        name_or_id: str | int,
        version_id: int | None,
        metadata: Mapping[str, Any] | None,
        limit: int,
        cursor: str | None,
    ) -> Page[ExampleData]:
        return self.store.iter_examples(
            name_or_id, version_id, metadata=metadata, limit=limit, cursor=cursor
        )

    def diff_versions(
        self,
        name_or_id: str | int,
        a: int | None,
        b: int | None,
        limit: int,
        cursor: str | None,
    ) -> DiffPage:
        return self.store.diff_versions(name_or_id, a, b, limit=limit, cursor=cursor)

    def commit(
        self,
        dataset: str | int,
        header: CommitHeader,
        operations: Iterable[Operation | EncodedOperation],
    ) -> CommitResult:
        ops = (op.operation() if isinstance(op, EncodedOperation) else op for op in operations)
        return self.store.commit(dataset, ops, header)

    # --- experiments ----------------------------------------------------------------------

    def create_experiment(
        self,
        dataset: str | int,
        version_id: int | None,
        name: str,
        task_fingerprint: str,
        evaluators: Mapping[str, str],
        tags: Mapping[str, str],
        metadata: Mapping[str, Any],
        reused_from_id: int | None,
    ) -> ExperimentInfo:
        return self.store.create_experiment(
            dataset, version_id, name, task_fingerprint, evaluators, tags, metadata, reused_from_id
        )

    def get_experiment(self, experiment_id: int) -> ExperimentInfo:
        return self.store.get_experiment(experiment_id)

    def list_experiments(
        self,
        dataset: str | int | None,
        name: str | None,
        tags: TagFilter | None,
        limit: int,
        cursor: str | None,
    ) -> Page[ExperimentInfo]:
        return self.store.list_experiments(
            dataset=dataset, name=name, tags=tags, limit=limit, cursor=cursor
        )

    def list_runs(self, experiment_id: int, limit: int, cursor: str | None) -> Page[RunRecord]:
        return self.store.list_runs(experiment_id, limit, cursor)

    def record_runs(self, experiment_id: int, runs: Sequence[RunRecord]) -> None:
        self.store.record_runs(experiment_id, runs)

    def record_evaluations(
        self, experiment_id: int, items: Sequence[tuple[str, EvaluationRecord]]
    ) -> None:
        self.store.record_evaluations(experiment_id, items)

    def finish_experiment(self, experiment_id: int, status: str) -> ExperimentInfo:
        return self.store.finish_experiment(experiment_id, status)

    # --- tags -------------------------------------------------------------------------------

    def get_tags(self, kind: str, ref: str | int, dataset: str | int | None) -> dict[str, str]:
        return self.store.get_tags(kind, ref, dataset=dataset)

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
        return self.store.update_tags(
            kind, ref, add=add, remove=remove, replace=replace, dataset=dataset
        )

    def tag_history(
        self, dataset: str | int, kind: str | None, limit: int, cursor: str | None
    ) -> Page[TagChange]:
        return self.store.tag_history(dataset, kind=kind, limit=limit, cursor=cursor)

    def close(self) -> None:
        self.store.close()
