"""``client.experiments`` and :func:`run_experiment`: the experiment logic tied to a store.

The logic (binding, fingerprints, the reuse rule, running, compare) is in
:mod:`datasync.experiments`; this module reads the pinned version's examples and the earlier
experiment's runs from the backend, and writes results back as they finish.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
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
from datasync.sync import ExampleData, validate_tags
from datasync.sync.experiment_records import (
    EvaluationRecord,
    EvaluatorStats,
    ExperimentInfo,
    ReuseSource,
    RunRecord,
    validate_experiment_name,
)

__all__ = ["DatasetRef", "Experiment", "ExperimentsAPI", "run_experiment"]

#: What ``dataset=`` accepts: a :class:`Dataset` (its version), ``(name_or_id, version_id)``,
#: or a name/id alone (its head when the experiment starts).
DatasetRef = Dataset | tuple[str | int, int | None] | str | int
_PAGE = 500
#: How many earlier experiments with the same task fingerprint ``reuse="auto"`` reads.
MAX_REUSE_SOURCES = 10


class Experiment:
    """One recorded experiment: its pinned version, counts, scores, runs; compare with another.

    ``ran``: runs executed (errors included), ``reused``: runs copied from an earlier
    experiment, ``errors``: runs that ended in an error, ``scores``: mean score per
    evaluator, ``evaluator_stats``: count, mean and errors per evaluator.
    """

    def __init__(
        self,
        info: ExperimentInfo,
        backend: Backend,
        runs: Sequence[RunRecord] | None = None,
    ) -> None:
        self.info = info
        self._backend = backend
        # A dry run's results live here only: nothing of it is in the store.
        self._runs = None if runs is None else sorted(runs, key=lambda r: r.source_id)

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
    def dry_run(self) -> bool:
        """Whether this is a dry run (``dry_run=N``): results in memory, nothing recorded."""
        return self._runs is not None

    @property
    def description(self) -> str | None:
        """``experiment_description`` as given (kept in ``metadata["description"]``)."""
        value = self.info.metadata.get("description")
        return value if isinstance(value, str) else None

    @property
    def reused_sources(self) -> tuple[ReuseSource, ...]:
        """Where the reused runs came from: experiment id, name and count, most runs first."""
        return self.info.reused_sources

    @property
    def reuse_summary(self) -> str:
        """``reused 1 from experiment 3 'support-v1'`` (``reused 0`` when nothing was)."""
        if not self.info.reused_sources:
            return "reused 0"
        return ", ".join(source.text() for source in self.info.reused_sources)

    @property
    def scores(self) -> dict[str, float | None]:
        """Mean score per evaluator (``None``: it produced no score)."""
        return {name: stats.mean for name, stats in self.info.scores.items()}

    @property
    def evaluator_stats(self) -> dict[str, EvaluatorStats]:
        return dict(self.info.scores)

    def runs(self) -> Iterator[RunRecord]:
        """Every run, by source id, with its evaluations (fetched page by page)."""
        if self._runs is not None:
            yield from self._runs
            return
        cursor: str | None = None
        while True:
            page = self._backend.list_runs(self.id, _PAGE, cursor)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def examples(self) -> Iterator[ExampleData]:
        """The examples of the pinned version, by source id (fetched page by page)."""
        cursor: str | None = None
        while True:
            page = self._backend.iter_examples(
                self.dataset_id, self.version_id, None, _PAGE, cursor
            )
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
        """The same experiment read again from the store (a dry run: itself)."""
        if self._runs is not None:
            return self
        return Experiment(self._backend.get_experiment(self.id), self._backend)

    def to_pandas(self) -> Any:
        """A pandas DataFrame, one row per run (each example, each repetition): ``id``,
        ``input``, ``expected``, ``output``, ``error``, ``latency_seconds``, ``reused``
        (bool), ``reused_from``, and per evaluator ``score.NAME`` (and ``label.NAME`` when
        it gave labels). Raises :class:`~datasync.errors.MissingExtraError` without pandas."""
        from datasync.client._frames import experiment_frame

        return experiment_frame(self)

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
        where = f" ({self.reuse_summary})" if self.info.reused_sources else ""
        return (
            f"Experiment(id={self.id}, name={self.name!r}, version_id={self.version_id},"
            f" ran={self.ran}, reused={self.reused}{where}, errors={self.errors},"
            f" scores={self.scores})"
        )


class _Sink:
    def __init__(self, backend: Backend, experiment_id: int) -> None:
        self._backend = backend
        self._id = experiment_id

    def runs(self, runs: Sequence[RunRecord]) -> None:
        self._backend.record_runs(self._id, runs)

    def evaluations(self, items: Sequence[tuple[str, EvaluationRecord]]) -> None:
        self._backend.record_evaluations(self._id, items)


class _MemorySink:
    """A dry run's results, kept in memory (nothing goes to the store)."""

    def __init__(self) -> None:
        self.by_id: dict[str, RunRecord] = {}

    def runs(self, runs: Sequence[RunRecord]) -> None:
        self.by_id.update((r.source_id, r) for r in runs)

    def evaluations(self, items: Sequence[tuple[str, EvaluationRecord]]) -> None:
        for source_id, record in items:
            run = self.by_id[source_id]
            kept = tuple(e for e in run.evaluations if e.name != record.name)
            self.by_id[source_id] = replace(run, evaluations=(*kept, record))

    def info(self, base: ExperimentInfo) -> ExperimentInfo:
        """``base`` with the counts and mean scores of what was kept."""
        runs = list(self.by_id.values())
        stats: dict[str, EvaluatorStats] = {}
        names = sorted({e.name for r in runs for e in r.evaluations})
        for name in names:
            found = [e for r in runs for e in r.evaluations if e.name == name]
            scores = [e.score for e in found if e.score is not None]
            mean = sum(scores) / len(scores) if scores else None
            errors = sum(e.error is not None for e in found)
            stats[name] = EvaluatorStats(name, len(found), mean, errors)
        errors = sum(r.error is not None for r in runs)
        return replace(base, ran=len(runs), reused=0, errors=errors, scores=stats)


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
        experiment_description: str | None = None,
        experiment_metadata: Mapping[str, Any] | None = None,
        dry_run: bool | int = False,
    ) -> Experiment:
        """Run ``task`` over the pinned version's examples, score, record; see
        :func:`run_experiment` for every argument and error."""
        name = _name(experiment_name, task)
        if reuse not in ("auto", "none"):
            raise UsageError(f"reuse must be 'auto' or 'none', not {reuse!r}", code="bad_option")
        if concurrency < 1 or (timeout is not None and timeout <= 0):
            raise UsageError("concurrency must be >= 1 and timeout > 0", code="bad_option")
        metadata = _metadata(metadata, experiment_metadata, experiment_description)
        sample = _dry_run_size(dry_run)
        binding = bind(task)
        task_fp = fingerprint(task, task_version)
        scorers = evaluators_of(evaluators)
        dataset_id, version_id = self._pin(dataset)
        examples = self._examples(dataset_id, version_id, where)
        settings = Settings(concurrency=concurrency, timeout=timeout)
        if sample is not None:
            base = ExperimentInfo(
                0,
                dataset_id,
                self._backend.get_dataset(dataset_id).name,
                version_id,
                name,
                task_fp,
                {e.name: e.fingerprint for e in scorers},
                validate_tags(tags or {}),
                dict(metadata or {}),
                "dry_run",
                datetime.now(UTC),
                None,
                None,
            )
            memory = _MemorySink()
            label = f"{name} (dry run: {min(sample, len(examples))} examples)"
            with progress_display(progress, label) as bar:
                execute(examples[:sample], binding, task_fp, scorers, [], memory, settings, bar)
            runs = list(memory.by_id.values())
            return Experiment(memory.info(base), self._backend, runs=runs)
        previous = self._previous(dataset_id, name, task_fp, reuse, reuse_from)
        info = self._backend.create_experiment(
            dataset_id,
            version_id,
            name,
            task_fp,
            {e.name: e.fingerprint for e in scorers},
            tags or {},
            metadata or {},
            previous[0].experiment_id if previous else None,
        )
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
        self, dataset_id: int, name: str, task_fp: str, reuse: str, reuse_from: int | None
    ) -> builtins.list[Previous]:
        """The earlier experiments results may be copied from, newest first."""
        if reuse_from is not None:
            infos = [self._backend.get_experiment(reuse_from)]
        elif reuse == "auto":
            infos = self._candidates(dataset_id, name, task_fp)
        else:
            return []
        out = []
        for info in infos:
            runs = {r.source_id: r for r in Experiment(info, self._backend).runs()}
            out.append(Previous(info.id, info.task_fingerprint, info.evaluators, runs, info.name))
        return out

    def _candidates(
        self, dataset_id: int, name: str, task_fp: str
    ) -> builtins.list[ExperimentInfo]:
        """Experiments of the dataset (any version, any name) with this task fingerprint,
        newest first, at most :data:`MAX_REUSE_SOURCES`; and the newest of this name whatever
        its fingerprint (its evaluations still count where the task's output is the same)."""
        found: builtins.list[ExperimentInfo] = []
        same_name: ExperimentInfo | None = None
        same_fp = 0
        cursor: str | None = None
        while True:
            page = self._backend.list_experiments(dataset_id, None, None, _PAGE, cursor)
            for info in page.items:
                if info.task_fingerprint == task_fp and same_fp < MAX_REUSE_SOURCES:
                    same_fp += 1
                    found.append(info)
                elif info.name == name and same_name is None:
                    found.append(info)
                if info.name == name and same_name is None:
                    same_name = info
                if same_fp >= MAX_REUSE_SOURCES and same_name is not None:
                    return found
            if page.next_cursor is None:
                return found
            cursor = page.next_cursor


def _metadata(
    metadata: Mapping[str, Any] | None,
    experiment_metadata: Mapping[str, Any] | None,
    description: str | None,
) -> dict[str, Any] | None:
    """``metadata`` or its Phoenix name ``experiment_metadata`` (not both), with
    ``experiment_description`` as its ``"description"``. Raises :class:`UsageError`."""
    if metadata is not None and experiment_metadata is not None:
        raise UsageError(
            "give metadata or experiment_metadata (the same thing), not both", code="bad_option"
        )
    given = metadata if metadata is not None else experiment_metadata
    if description is None:
        return None if given is None else dict(given)
    if not isinstance(description, str):
        raise UsageError("experiment_description must be a string", code="bad_option")
    out = dict(given or {})
    if "description" in out and out["description"] != description:
        raise UsageError(
            "experiment_description and metadata['description'] differ; give one",
            code="bad_option",
        )
    out["description"] = description
    return out


def _dry_run_size(dry_run: bool | int) -> int | None:
    """How many examples a dry run takes (``True``: 1), or ``None``: not a dry run."""
    if dry_run is False or (dry_run == 0 and not isinstance(dry_run, bool)):
        return None
    if dry_run is True:
        return 1
    if not isinstance(dry_run, int) or dry_run < 0:
        raise UsageError(
            f"dry_run must be True or a number of examples, not {dry_run!r}", code="bad_option"
        )
    return dry_run


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
    experiment_description: str | None = None,
    experiment_metadata: Mapping[str, Any] | None = None,
    dry_run: bool | int = False,
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
    ``reuse="auto"``: copy each example's result from the newest earlier experiment on this
    dataset (any version, any name; or from ``reuse_from``) whose task fingerprint
    (``task_version``, else derived from its code and what it reads) and what the task sees
    of the example are unchanged; ``"none"``: run all. ``experiment_description`` and
    ``experiment_metadata`` (Phoenix's names; the latter is ``metadata``) are stored with it.
    ``dry_run=N`` (``True``: 1) runs the task and evaluators on the first N examples and
    records nothing: the returned :class:`Experiment` holds the results in memory.
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
        "experiment_description": experiment_description,
        "experiment_metadata": experiment_metadata,
        "dry_run": dry_run,
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
