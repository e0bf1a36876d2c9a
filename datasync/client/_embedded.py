"""The embedded backend: the client calls a :class:`~datasync.store.Store` in-process."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from datasync.client._backend import Backend, WireCounter
from datasync.store import (
    CommitResult,
    DatasetInfo,
    ManifestEntry,
    Page,
    Store,
    VersionInfo,
    open_store,
)
from datasync.sync import (
    CommitHeader,
    ExampleData,
    Operation,
    Summary,
    child_nodes,
    validate_nodes,
)

__all__ = ["EmbeddedBackend"]


class EmbeddedBackend(Backend):
    """A store opened in this process (SQLite file or PostgreSQL URL); no bytes on a wire."""

    def __init__(self, url: str) -> None:
        self.location = url
        self.wire = WireCounter()
        self.store: Store = open_store(url)

    def get_dataset(self, name_or_id: str | int) -> DatasetInfo:
        return self.store.get_dataset(name_or_id)

    def list_datasets(self, limit: int, cursor: str | None) -> Page[DatasetInfo]:
        return self.store.list_datasets(limit, cursor)

    def list_versions(
        self, name_or_id: str | int, limit: int, cursor: str | None
    ) -> Page[VersionInfo]:
        return self.store.list_versions(name_or_id, limit, cursor)

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

    def commit(
        self, dataset: str | int, header: CommitHeader, operations: Iterable[Operation]
    ) -> CommitResult:
        return self.store.commit(dataset, operations, header)

    def close(self) -> None:
        self.store.close()
