"""The backend interface: what the client needs from a store, embedded or over HTTP.

Two implementations, like httpx's transports: :class:`~datasync.client._embedded.EmbeddedBackend`
calls a :class:`~datasync.store.Store` in-process, :class:`~datasync.client._http.HttpBackend`
talks to ``datasync serve``. Both return the store's records and raise the same
:class:`~datasync.errors.DatasyncError` classes, so the client code above them is one.
The interface covers datasets and versions, experiments and tags; the client modules
(``_datasets``, ``_experiments``, ``_tags``) call these methods directly.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from datasync.store import (
    CommitResult,
    DatasetInfo,
    DeletedDataset,
    DiffPage,
    ManifestEntry,
    Page,
    TagChange,
    VersionInfo,
)
from datasync.sync import CommitHeader, EncodedOperation, ExampleData, Operation, Summary
from datasync.sync.experiment_records import EvaluationRecord, ExperimentInfo, RunRecord

__all__ = ["Backend", "TagFilter", "WireCounter"]

#: ``{key: value}`` keeps objects tagged ``key=value``; ``{key: None}`` those having ``key``.
TagFilter = Mapping[str, str | None]


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
    def delete_dataset(self, name_or_id: str | int, force: bool) -> DeletedDataset:
        """Delete the dataset (``force``: with its experiments); ``dataset_in_use`` else."""

    @abc.abstractmethod
    def rename_dataset(self, name_or_id: str | int, new_name: str) -> DatasetInfo:
        """Rename the dataset; ``dataset_exists`` when the name is taken."""

    @abc.abstractmethod
    def list_datasets(
        self, limit: int, cursor: str | None, tags: TagFilter | None = None
    ) -> Page[DatasetInfo]:
        """One page of datasets (having every pair of ``tags``), by id."""

    @abc.abstractmethod
    def list_versions(
        self, name_or_id: str | int, limit: int, cursor: str | None, tags: TagFilter | None = None
    ) -> Page[VersionInfo]:
        """One page of a dataset's versions (having every pair of ``tags``), newest first."""

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
    def diff_versions(
        self,
        name_or_id: str | int,
        a: int | None,
        b: int | None,
        limit: int,
        cursor: str | None,
    ) -> DiffPage:
        """One page of the examples that differ from version ``a`` to ``b`` (``None``: head);
        the first page (no ``cursor``) carries the counts."""

    @abc.abstractmethod
    def commit(
        self,
        dataset: str | int,
        header: CommitHeader,
        operations: Iterable[Operation | EncodedOperation],
    ) -> CommitResult:
        """Apply ``operations`` as one new version (or none: ``no_op``)."""

    # --- experiments ----------------------------------------------------------------------

    @abc.abstractmethod
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
        """A new running experiment."""

    @abc.abstractmethod
    def get_experiment(self, experiment_id: int) -> ExperimentInfo:
        """One experiment with counts and aggregates."""

    @abc.abstractmethod
    def list_experiments(
        self,
        dataset: str | int | None,
        name: str | None,
        tags: TagFilter | None,
        limit: int,
        cursor: str | None,
    ) -> Page[ExperimentInfo]:
        """One page of experiments, newest first."""

    @abc.abstractmethod
    def list_runs(self, experiment_id: int, limit: int, cursor: str | None) -> Page[RunRecord]:
        """One page of an experiment's runs by source id, with evaluations."""

    @abc.abstractmethod
    def record_runs(self, experiment_id: int, runs: Sequence[RunRecord]) -> None:
        """Write (or replace) runs."""

    @abc.abstractmethod
    def record_evaluations(
        self, experiment_id: int, items: Sequence[tuple[str, EvaluationRecord]]
    ) -> None:
        """Write (or replace) evaluations, each with its source id."""

    @abc.abstractmethod
    def finish_experiment(self, experiment_id: int, status: str) -> ExperimentInfo:
        """Mark the experiment ``complete`` or ``interrupted``."""

    # --- tags -------------------------------------------------------------------------------
    # ``kind``: "dataset" (``ref``: name or id), "version" (``ref``: id; needs ``dataset``) or
    # "experiment" (``ref``: id). Raise TagError naming the tag, or NotFoundError.

    @abc.abstractmethod
    def get_tags(self, kind: str, ref: str | int, dataset: str | int | None) -> dict[str, str]:
        """The object's tags."""

    @abc.abstractmethod
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
        """Add/remove keys or replace the whole map; the tags after the change."""

    @abc.abstractmethod
    def tag_history(
        self, dataset: str | int, kind: str | None, limit: int, cursor: str | None
    ) -> Page[TagChange]:
        """One page of a dataset's tag changes (its versions' and experiments' too), newest
        first."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
