"""One experiment from examples to saved results: plan reuse, run the task, score. No store.

:func:`execute` hands results to a :class:`Sink` in batches as they finish (the client's glue
writes them to the store), so an interrupted run keeps everything that ended before the
interrupt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from datasync.canonical import canonicalize, loads_strict
from datasync.errors import CanonicalError
from datasync.experiments.binding import Binding
from datasync.experiments.progress import Counts, ProgressSink
from datasync.experiments.reuse import (
    EvaluationJob,
    Previous,
    plan_evaluations,
    plan_runs,
    seen_hash,
)
from datasync.experiments.runner import Outcome, run_calls
from datasync.experiments.scores import Evaluator, ScoreError, normalize_result
from datasync.sync import ExampleData
from datasync.sync.experiment_records import EvaluationRecord, RunRecord

__all__ = ["Settings", "Sink", "execute", "json_output"]


class Sink(Protocol):
    """Where results go as they finish."""

    def runs(self, runs: Sequence[RunRecord]) -> None: ...

    def evaluations(self, items: Sequence[tuple[str, EvaluationRecord]]) -> None: ...


@dataclass(frozen=True)
class Settings:
    """How to run: ``concurrency`` calls at once, ``timeout`` seconds per call, results
    handed to the sink every ``batch``."""

    concurrency: int = 8
    timeout: float | None = None
    batch: int = 100


def json_output(value: Any) -> Any:
    """``value`` as plain JSON (what is stored and hashed); raises :class:`CanonicalError`."""
    return loads_strict(canonicalize(value))


class _Buffer:
    def __init__(self, flush: Callable[[list[Any]], None], size: int) -> None:
        self.items: list[Any] = []
        self._flush = flush
        self._size = size

    def add(self, item: Any) -> None:
        self.items.append(item)
        if len(self.items) >= self._size:
            self.flush()

    def flush(self) -> None:
        if self.items:
            items, self.items = self.items, []
            try:
                self._flush(items)
            except BaseException:  # interrupted mid-write: keep them for the final flush
                self.items = items + self.items
                raise


def _run_record(example: ExampleData, binding_hash: str, outcome: Outcome) -> RunRecord:
    output, error = outcome.value, outcome.error
    if error is None:
        try:
            output = json_output(output)
        except CanonicalError as exc:
            output, error = None, f"output is not JSON: {exc.message}"
    return RunRecord(
        example.source_id,
        example.hash or "",
        binding_hash,
        output if error is None else None,
        error,
        round(outcome.seconds, 6),
        outcome.started_at,
        outcome.ended_at,
    )


def execute(
    examples: Sequence[ExampleData],
    task: Binding,
    task_fingerprint: str,
    evaluators: Sequence[Evaluator],
    previous: Sequence[Previous],
    sink: Sink,
    settings: Settings,
    progress: ProgressSink | None = None,
) -> Counts:
    """Run ``task`` where the reuse rule says so, copy the rest, score; returns the counts.

    ``KeyboardInterrupt`` (or an error from the sink) stops it: results that ended are
    handed to the sink first, then the exception propagates.
    """
    counts = Counts(total=len(examples))
    notify = progress or (lambda c: None)
    plan = plan_runs(examples, task, task_fingerprint, previous)
    by_id = {e.source_id: e for e in examples}
    finished: list[RunRecord] = []
    runs = _Buffer(sink.runs, settings.batch)
    for run in plan.reused:
        runs.add(run)
        finished.append(run)
    counts.reused = len(plan.reused)
    notify(counts)

    def run_done(i: int, outcome: Outcome) -> None:
        example = plan.to_run[i]
        record = _run_record(example, seen_hash(example, task), outcome)
        runs.add(record)
        finished.append(record)
        counts.ran += 1
        counts.errors += record.error is not None
        notify(counts)

    calls = [_task_call(task, e) for e in plan.to_run]
    try:
        run_calls(
            calls,
            run_done,
            is_async=task.is_async,
            concurrency=settings.concurrency,
            timeout=settings.timeout,
        )
    finally:
        runs.flush()
    pairs = [(by_id[r.source_id], r) for r in finished]
    copied, jobs = plan_evaluations(pairs, evaluators, previous)
    _score(copied, jobs, sink, settings, counts, notify)
    return counts


def _task_call(task: Binding, example: ExampleData) -> Callable[[], Any]:
    return lambda: task.call(example)


def _eval_call(job: EvaluationJob) -> Callable[[], Any]:
    return lambda: job.evaluator.binding.call(job.example, job.run.output)


def _score(
    copied: list[tuple[str, EvaluationRecord]],
    jobs: list[EvaluationJob],
    sink: Sink,
    settings: Settings,
    counts: Counts,
    notify: ProgressSink,
) -> None:
    out = _Buffer(sink.evaluations, settings.batch)
    for item in copied:
        out.add(item)
    counts.scores_reused = len(copied)
    try:
        for is_async in (False, True):
            group = [j for j in jobs if j.evaluator.binding.is_async is is_async]

            def done(i: int, outcome: Outcome, group: list[EvaluationJob] = group) -> None:
                job = group[i]
                record = _evaluation(job, outcome)
                out.add((job.run.source_id, record))
                counts.scored += 1
                counts.score_errors += record.error is not None
                notify(counts)

            run_calls(
                [_eval_call(j) for j in group],
                done,
                is_async=is_async,
                concurrency=settings.concurrency,
                timeout=settings.timeout,
            )
    finally:
        out.flush()


def _evaluation(job: EvaluationJob, outcome: Outcome) -> EvaluationRecord:
    name = job.evaluator.name
    if outcome.error is not None:
        return EvaluationRecord(name, error=outcome.error, seen_hash=job.seen_hash)
    try:
        record = normalize_result(name, outcome.value)
    except ScoreError as exc:
        return EvaluationRecord(name, error=f"ScoreError: {exc}", seen_hash=job.seen_hash)
    return replace(record, seen_hash=job.seen_hash)
