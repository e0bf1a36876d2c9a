"""``client.experiments`` and :func:`run_experiment`: the experiment logic tied to a store.

The logic (binding, fingerprints, the reuse rule, running, compare) is in
:mod:`datasync.experiments`; this module reads the pinned version's examples and the earlier
experiment's runs from the backend, and writes results back as they finish.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal

from datasync._render import table
from datasync.client._backend import Backend
from datasync.client._results import Dataset
from datasync.errors import UsageError
from datasync.experiments import (
    Comparison,
    Evaluators,
    Previous,
    Settings,
    bind,
    compare_runs,
    evaluators_of,
    execute,
    fingerprint,
    progress_display,
)
from datasync.sync import ExampleData
from datasync.sync.experiment_records import (
    EvaluationRecord,
    EvaluatorStats,
    ExperimentInfo,
    RunRecord,
    validate_experiment_name,
)

__all__ = ["DatasetRef", "Experiment", "ExperimentsAPI", "run_experiment"]

#: What ``dataset=`` accepts: a :class:`Dataset` (its version), ``(name_or_id, version_id)``,
#: or a name/id alone (its head when the experiment starts).
DatasetRef = Dataset | tuple[str | int, int | None] | str | int
_PAGE = 500


class Experiment:
    """One recorded experiment: its pinned version, counts, scores, runs; compare with another.

    ``ran``: runs executed (errors included), ``reused``: runs copied from an earlier
    experiment, ``errors``: runs that ended in an error, ``scores``: mean score per
    evaluator, ``evaluator_stats``: count, mean and errors per evaluator.
    """

    def __init__(self, info: ExperimentInfo, backend: Backend) -> None:
        self.info = info
        self._backend = backend

    id = property(lambda self: self.info.id)
    name = property(lambda self: self.info.name)
    dataset = property(lambda self: self.info.dataset)
    dataset_id = property(lambda self: self.info.dataset_id)
    version_id = property(lambda self: self.info.version_id)
    status = property(lambda self: self.info.status)
    tags = property(lambda self: self.info.tags)
    metadata = property(lambda self: self.info.metadata)
    task_fingerprint = property(lambda self: self.info.task_fingerprint)
    ran = property(lambda self: self.info.ran)
    reused = property(lambda self: self.info.reused)
    errors = property(lambda self: self.info.errors)

    @property
    def scores(self) -> dict[str, float | None]:
        """Mean score per evaluator (``None``: it produced no score)."""
        return {name: stats.mean for name, stats in self.info.scores.items()}

    @property
    def evaluator_stats(self) -> dict[str, EvaluatorStats]:
        return dict(self.info.scores)

    def runs(self) -> Iterator[RunRecord]:
        """Every run, by source id, with its evaluations (fetched page by page)."""
        cursor: str | None = None
        while True:
            page = self._backend.list_runs(self.id, _PAGE, cursor)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def compare(self, other: Experiment | int) -> Comparison:
        """This experiment (A) against ``other`` (B): per-example and aggregate score deltas,
        examples added and removed between their versions. Raises :class:`NotFoundError`."""
        if isinstance(other, int):
            other = Experiment(self._backend.get_experiment(other), self._backend)
        return compare_runs(self.id, self.runs(), other.id, other.runs())

    def refresh(self) -> Experiment:
        """The same experiment read again from the store."""
        return Experiment(self._backend.get_experiment(self.id), self._backend)

    def to_dict(self) -> dict[str, Any]:
        return {**self.info.to_wire(), "runs": self.info.runs}

    def _repr_html_(self) -> str:
        """A notebook's view: counts, the mean score per evaluator, the first runs."""
        caption = (
            f"experiment {self.id} {self.name!r} on {self.dataset}@{self.version_id}"
            f" ({self.status}): ran {self.ran}, reused {self.reused}, errors {self.errors}"
        )
        stats = sorted(self.info.scores.values(), key=lambda s: s.name)
        scores = table(
            ("evaluator", "mean", "scored", "errors"),
            [(s.name, s.mean, s.count, s.errors) for s in stats],
            caption,
        )
        page = self._backend.list_runs(self.id, 10, None)
        names = [s.name for s in stats]
        rows = [
            (
                r.source_id,
                r.error if r.error else r.output,
                *(e.score if (e := r.evaluation(n)) is not None else None for n in names),
                f"reused from {r.reused_from}" if r.reused_from else "ran",
            )
            for r in page.items
        ]
        if self.info.runs > len(rows):
            rows.append((f"… {self.info.runs - len(rows)} more runs",))
        runs = table(("id", "output or error", *names, "run"), rows)
        return f"<div>{scores}{runs}</div>"

    def __repr__(self) -> str:
        return (
            f"Experiment(id={self.id}, name={self.name!r}, version_id={self.version_id},"
            f" ran={self.ran}, reused={self.reused}, errors={self.errors}, scores={self.scores})"
        )


class _Sink:
    def __init__(self, backend: Backend, experiment_id: int) -> None:
        self._backend = backend
        self._id = experiment_id

    def runs(self, runs: Sequence[RunRecord]) -> None:
        self._backend.record_runs(self._id, runs)

    def evaluations(self, items: Sequence[tuple[str, EvaluationRecord]]) -> None:
        self._backend.record_evaluations(self._id, items)


class ExperimentsAPI:
    """Experiments in one store (embedded or remote); reached as ``client.experiments``."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def run(
        self,
        dataset: DatasetRef,
        task: Callable[..., Any],
        evaluators: Evaluators | None = None,
        experiment_name: str | None = None,
        concurrency: int = 8,
        tags: Mapping[str, str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        reuse: Literal["auto", "none"] = "auto",
        where: Mapping[str, Any] | None = None,
        *,
        reuse_from: int | None = None,
        task_version: str | None = None,
        timeout: float | None = None,
        progress: bool | None = None,
    ) -> Experiment:
        """Run ``task`` over the pinned version's examples, score, record; see
        :func:`run_experiment` for every argument and error."""
        name = _name(experiment_name, task)
        if reuse not in ("auto", "none"):
            raise UsageError(f"reuse must be 'auto' or 'none', not {reuse!r}", code="bad_option")
        if concurrency < 1 or (timeout is not None and timeout <= 0):
            raise UsageError("concurrency must be >= 1 and timeout > 0", code="bad_option")
        binding = bind(task)
        task_fp = fingerprint(task, task_version)
        scorers = evaluators_of(evaluators)
        dataset_id, version_id = self._pin(dataset)
        examples = self._examples(dataset_id, version_id, where)
        previous = self._previous(dataset_id, name, reuse, reuse_from)
        info = self._backend.create_experiment(
            dataset_id,
            version_id,
            name,
            task_fp,
            {e.name: e.fingerprint for e in scorers},
            tags or {},
            metadata or {},
            previous.experiment_id if previous else None,
        )
        settings = Settings(concurrency=concurrency, timeout=timeout)
        sink = _Sink(self._backend, info.id)
        try:
            with progress_display(progress, f"{name} ({len(examples)} examples)") as bar:
                execute(examples, binding, task_fp, scorers, previous, sink, settings, bar)
        except BaseException:
            self._backend.finish_experiment(info.id, "interrupted")
            raise
        return Experiment(self._backend.finish_experiment(info.id, "complete"), self._backend)

    def get(self, experiment_id: int) -> Experiment:
        """One experiment; raises :class:`NotFoundError`."""
        return Experiment(self._backend.get_experiment(experiment_id), self._backend)

    def list(
        self,
        dataset: str | int | None = None,
        name: str | None = None,
        tags: Mapping[str, str | None] | None = None,
    ) -> list[Experiment]:
        """Experiments, newest first: of ``dataset``, named ``name``, with every tag of
        ``tags`` (``None``: has the key). Raises :class:`NotFoundError`, :class:`TagError`."""
        out: list[Experiment] = []
        cursor: str | None = None
        while True:
            page = self._backend.list_experiments(dataset, name, tags, _PAGE, cursor)
            out.extend(Experiment(info, self._backend) for info in page.items)
            if page.next_cursor is None:
                return out
            cursor = page.next_cursor

    def compare(self, a: Experiment | int, b: Experiment | int) -> Comparison:
        """Experiment ``a`` against ``b`` (see :meth:`Experiment.compare`)."""
        first = a if isinstance(a, Experiment) else self.get(a)
        return first.compare(b)

    # --- helpers --------------------------------------------------------------------------

    def _pin(self, dataset: DatasetRef) -> tuple[int, int]:
        ref: str | int
        version: int | None
        if isinstance(dataset, Dataset):
            ref, version = dataset.id, dataset.version_id
            if version is None:
                raise UsageError(f"dataset {dataset.name!r} has no version yet", code="no_versions")
        elif isinstance(dataset, tuple):
            ref, version = dataset
        else:
            ref, version = dataset, None
        info = self._backend.get_version(ref, version)
        return info.dataset_id, info.id

    def _examples(
        self, dataset_id: int, version_id: int, where: Mapping[str, Any] | None
    ) -> builtins.list[ExampleData]:
        out: builtins.list[ExampleData] = []
        cursor: str | None = None
        while True:
            page = self._backend.iter_examples(dataset_id, version_id, where, 1000, cursor)
            out.extend(page.items)
            if page.next_cursor is None:
                return out
            cursor = page.next_cursor

    def _previous(
        self, dataset_id: int, name: str, reuse: str, reuse_from: int | None
    ) -> Previous | None:
        if reuse_from is not None:
            info = self._backend.get_experiment(reuse_from)
        elif reuse == "auto":
            page = self._backend.list_experiments(dataset_id, name, None, 1, None)
            if not page.items:
                return None
            info = page.items[0]
        else:
            return None
        runs = {r.source_id: r for r in Experiment(info, self._backend).runs()}
        return Previous(info.id, info.task_fingerprint, info.evaluators, runs)


def _name(given: str | None, task: Callable[..., Any]) -> str:
    if given is not None:
        return validate_experiment_name(given)
    name = getattr(task, "__name__", "") or ""
    return name if name and not name.startswith("<") else "experiment"


def run_experiment(
    dataset: DatasetRef,
    task: Callable[..., Any],
    evaluators: Evaluators | None = None,
    experiment_name: str | None = None,
    concurrency: int = 8,
    tags: Mapping[str, str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    reuse: Literal["auto", "none"] = "auto",
    where: Mapping[str, Any] | None = None,
    *,
    reuse_from: int | None = None,
    task_version: str | None = None,
    timeout: float | None = None,
    progress: bool | None = None,
    client: Any = None,
) -> Experiment:
    """Run ``task`` over every example of a pinned dataset version, score it, record it.

    ``dataset``: a :class:`Dataset` (the version it holds, and its store), ``(name_or_id,
    version_id)``, or a name (the head when the run starts). ``task(input)`` - or any of
    ``input``, ``expected``, ``metadata``, ``example`` by name - sync or async, returns any
    JSON value. ``evaluators``: callables binding ``output``, ``expected``, ``input``,
    ``metadata``, ``example``, returning a score, a bool, a label or ``{"score", "label",
    "explanation"}``; named by ``__name__``, or ``("name", fn)`` pairs, or a mapping.
    At most ``concurrency`` calls at once (threads for sync, asyncio for async), each
    stopped after ``timeout`` seconds. ``where``: only examples whose metadata contains it.
    ``reuse="auto"``: copy the results of the newest experiment of the same name on this
    dataset (or of ``reuse_from``) wherever what the task sees and its fingerprint
    (``task_version``, else derived from its code) are unchanged; ``"none"``: run all.
    ``progress``: a progress bar on stderr (default: when it is a terminal). ``client``: the
    :class:`Client` to use when ``dataset`` is not a :class:`Dataset` (default ``Client()``).

    An exception in one example is that run's error; the run goes on. Ctrl-C stops it: what
    finished is kept, the experiment is marked ``interrupted``, ``KeyboardInterrupt``
    propagates. Raises :class:`UsageError` (arguments, parameters that cannot be bound),
    :class:`ValidationError`/:class:`TagError`, :class:`NotFoundError` (dataset, version),
    and the store's errors.
    """
    kwargs: dict[str, Any] = {
        "reuse_from": reuse_from,
        "task_version": task_version,
        "timeout": timeout,
        "progress": progress,
    }
    args = (dataset, task, evaluators, experiment_name, concurrency, tags, metadata, reuse, where)
    if client is not None:
        api: ExperimentsAPI = client.experiments
        return api.run(*args, **kwargs)
    if isinstance(dataset, Dataset) and dataset._backend is not None:
        return ExperimentsAPI(dataset._backend).run(*args, **kwargs)
    from datasync.client._client import Client

    # Left open: the returned Experiment reads its runs through this client.
    return Client().experiments.run(*args, **kwargs)
