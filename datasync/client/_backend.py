"""The backend interface: what the client needs from a store, embedded or over HTTP.

Two implementations, like httpx's transports: :class:`~datasync.client._embedded.EmbeddedBackend`
calls a :class:`~datasync.store.Store` in-process, :class:`~datasync.client._http.HttpBackend`
talks to ``datasync serve``. Both return the store's records and raise the same
:class:`~datasync.errors.DatasyncError` classes, so the client code above them is one.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from datasync.store import CommitResult, DatasetInfo, ManifestEntry, Page, VersionInfo
from datasync.sync import CommitHeader, ExampleData, Operation, Summary

__all__ = ["Backend", "WireCounter"]


@dataclass
class WireCounter:
    """Bytes moved on the wire (request and response, headers and bodies, as sent)."""

    sent: int = 0
    received: int = 0


class Backend(abc.ABC):
    """A store as the client sees it. Every method raises :class:`DatasyncError` subclasses."""

    #: Where the store is, for messages (a database URL or a server URL).
    location: str
    #: Bytes moved so far; always zero for the embedded backend (nothing crosses a wire).
    wire: WireCounter

    @abc.abstractmethod
    def get_dataset(self, name_or_id: str | int) -> DatasetInfo:
        """The dataset; :class:`NotFoundError` if there is none."""

    @abc.abstractmethod
    def list_datasets(self, limit: int, cursor: str | None) -> Page[DatasetInfo]:
        """One page of datasets, by id."""

    @abc.abstractmethod
    def list_versions(
        self, name_or_id: str | int, limit: int, cursor: str | None
    ) -> Page[VersionInfo]:
        """One page of a dataset's versions, newest first."""

    @abc.abstractmethod
    def get_version(self, name_or_id: str | int, version_id: int | None) -> VersionInfo:
        """One version (default: the head)."""

    @abc.abstractmethod
    def get_summary(self, name_or_id: str | int, version_id: int | None, bits: int) -> Summary:
        """The manifest summary of a version at level ``bits`` (head by default)."""

    @abc.abstractmethod
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
        """Digests of ``nodes`` at level ``bits`` (their first ``digest_chars`` hex chars).

        With ``parent_bits``, ``nodes`` are parents at that level and the answer holds every
        child of theirs at level ``bits`` (the request does not list the children)."""

    @abc.abstractmethod
    def bucket_entries(
        self,
        name_or_id: str | int,
        version_id: int,
        bits: int,
        nodes: list[int],
        *,
        hash_chars: int = 64,
    ) -> list[ManifestEntry]:
        """Every manifest entry in ``nodes`` at level ``bits``, by source id, each hash cut
        to its first ``hash_chars`` hex chars."""

    @abc.abstractmethod
    def iter_manifest(self, name_or_id: str | int, version_id: int) -> Iterator[ManifestEntry]:
        """Every manifest entry of a version, in one stream."""

    @abc.abstractmethod
    def iter_examples(
        self,
        name_or_id: str | int,
        version_id: int | None,
        metadata: Mapping[str, Any] | None,
        limit: int,
        cursor: str | None,
    ) -> Page[ExampleData]:
        """One page of a version's examples, by source id."""

    @abc.abstractmethod
    def commit(
        self, dataset: str | int, header: CommitHeader, operations: Iterable[Operation]
    ) -> CommitResult:
        """Apply ``operations`` as one new version (or none: ``no_op``)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
