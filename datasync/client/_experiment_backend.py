"""The experiment half of a backend: one small interface, embedded and HTTP implementations.

Kept beside :class:`~datasync.client._backend.Backend` rather than inside it so the dataset
interface stays small; :func:`experiment_backend` picks the implementation for a backend.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any

from datasync.client._backend import Backend
from datasync.client._embedded import EmbeddedBackend
from datasync.client._http import HttpBackend
from datasync.errors import UsageError
from datasync.store import Page, Store
from datasync.sync.experiment_records import EvaluationRecord, ExperimentInfo, RunRecord

__all__ = ["ExperimentBackend", "experiment_backend"]


class ExperimentBackend(abc.ABC):
    """What the experiment client needs from a store; raises :class:`DatasyncError`s."""

    @abc.abstractmethod
    def create(
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
    def get(self, experiment_id: int) -> ExperimentInfo:
        """One experiment with counts and aggregates."""

    @abc.abstractmethod
    def list(
        self,
        dataset: str | int | None,
        name: str | None,
        tags: Mapping[str, str | None] | None,
        limit: int,
        cursor: str | None,
    ) -> Page[ExperimentInfo]:
        """One page of experiments, newest first."""

    @abc.abstractmethod
    def runs(self, experiment_id: int, limit: int, cursor: str | None) -> Page[RunRecord]:
        """One page of runs by source id, with evaluations."""

    @abc.abstractmethod
    def record_runs(self, experiment_id: int, runs: Sequence[RunRecord]) -> None:
        """Write (or replace) runs."""

    @abc.abstractmethod
    def record_evaluations(
        self, experiment_id: int, items: Sequence[tuple[str, EvaluationRecord]]
    ) -> None:
        """Write (or replace) evaluations."""

    @abc.abstractmethod
    def finish(self, experiment_id: int, status: str) -> ExperimentInfo:
        """Mark complete or interrupted."""


class _Embedded(ExperimentBackend):
    def __init__(self, store: Store) -> None:
        self._store = store

    def create(
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
        return self._store.create_experiment(
            dataset, version_id, name, task_fingerprint, evaluators, tags, metadata, reused_from_id
        )

    def get(self, experiment_id: int) -> ExperimentInfo:
        return self._store.get_experiment(experiment_id)

    def list(
        self,
        dataset: str | int | None,
        name: str | None,
        tags: Mapping[str, str | None] | None,
        limit: int,
        cursor: str | None,
    ) -> Page[ExperimentInfo]:
        return self._store.list_experiments(
            dataset=dataset, name=name, tags=tags, limit=limit, cursor=cursor
        )

    def runs(self, experiment_id: int, limit: int, cursor: str | None) -> Page[RunRecord]:
        return self._store.list_runs(experiment_id, limit, cursor)

    def record_runs(self, experiment_id: int, runs: Sequence[RunRecord]) -> None:
        self._store.record_runs(experiment_id, runs)

    def record_evaluations(
        self, experiment_id: int, items: Sequence[tuple[str, EvaluationRecord]]
    ) -> None:
        self._store.record_evaluations(experiment_id, items)

    def finish(self, experiment_id: int, status: str) -> ExperimentInfo:
        return self._store.finish_experiment(experiment_id, status)


class _Http(ExperimentBackend):
    """Over HTTP. Writes replace by key on the server, so the HTTP backend's retries are safe."""

    def __init__(self, http: HttpBackend) -> None:
        self._http = http

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._http._json(method, path, **kwargs)

    def create(
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
        body = {
            "dataset": str(dataset),
            "version_id": version_id,
            "name": name,
            "task_fingerprint": task_fingerprint,
            "evaluators": dict(evaluators),
            "tags": dict(tags),
            "metadata": dict(metadata),
            "reused_from_id": reused_from_id,
        }
        return ExperimentInfo.from_wire(self._call("POST", "/experiments", json=body))

    def get(self, experiment_id: int) -> ExperimentInfo:
        return ExperimentInfo.from_wire(self._call("GET", f"/experiments/{int(experiment_id)}"))

    def list(
        self,
        dataset: str | int | None,
        name: str | None,
        tags: Mapping[str, str | None] | None,
        limit: int,
        cursor: str | None,
    ) -> Page[ExperimentInfo]:
        params: list[tuple[str, Any]] = [("limit", limit)]
        if dataset is not None:
            params.append(("dataset", str(dataset)))
        if name is not None:
            params.append(("name", name))
        for key, value in (tags or {}).items():
            params.append(("has_tag", key) if value is None else (f"tag.{key}", value))
        if cursor is not None:
            params.append(("cursor", cursor))
        body = self._call("GET", "/experiments", params=params)
        items = tuple(ExperimentInfo.from_wire(e) for e in body["items"])
        return Page(items, body["next_cursor"])

    def runs(self, experiment_id: int, limit: int, cursor: str | None) -> Page[RunRecord]:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        body = self._call("GET", f"/experiments/{int(experiment_id)}/runs", params=params)
        return Page(tuple(RunRecord.from_wire(r) for r in body["items"]), body["next_cursor"])

    def record_runs(self, experiment_id: int, runs: Sequence[RunRecord]) -> None:
        body = {"runs": [r.to_wire() for r in runs]}
        self._call("POST", f"/experiments/{int(experiment_id)}/runs", json=body)

    def record_evaluations(
        self, experiment_id: int, items: Sequence[tuple[str, EvaluationRecord]]
    ) -> None:
        body = {"evaluations": [{"source_id": sid, **e.to_wire()} for sid, e in items]}
        self._call("POST", f"/experiments/{int(experiment_id)}/evaluations", json=body)

    def finish(self, experiment_id: int, status: str) -> ExperimentInfo:
        path = f"/experiments/{int(experiment_id)}/finish"
        return ExperimentInfo.from_wire(self._call("POST", path, json={"status": status}))


def experiment_backend(backend: Backend) -> ExperimentBackend:
    """The experiment interface of ``backend``; raises :class:`UsageError` for other kinds."""
    if isinstance(backend, EmbeddedBackend):
        return _Embedded(backend.store)
    if isinstance(backend, HttpBackend):
        return _Http(backend)
    raise UsageError(f"experiments need an embedded or HTTP backend, not {type(backend).__name__}")
