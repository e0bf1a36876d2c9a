"""The reuse rule: which earlier results a new experiment may copy instead of recomputing. Pure.

What a function *saw* is hashed with content hash v1's machinery (``datasync.canonical``):

* a task's ``seen_hash`` is BLAKE3 of the RFC 8785 bytes of the object holding only the
  content parts its parameters bind (``{"input": I}`` for ``task(input)``; for
  ``task(example)`` it is ``{"input", "output", "metadata"}``, i.e. the content hash v1);
* an evaluation's ``seen_hash`` is BLAKE3 of the RFC 8785 bytes of ``{"example": {the parts
  it binds}, "output": the task's output}`` (``"output"`` only when it binds ``output``).

The earlier experiments are given newest first. An example's run is copied from the newest
of them that ran the same task fingerprint and has a run for the same source id that ended
without an error, with a ``seen_hash`` equal to the new one. An evaluation is copied from the
newest of them that had an evaluator of the same name and fingerprint whose evaluation of
that source id ended without an error with an equal ``seen_hash``. Everything else is
computed. Examples gone from the new version drop out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from datasync.canonical import canonicalize, hash_bytes
from datasync.experiments.binding import Binding
from datasync.experiments.scores import Evaluator
from datasync.sync import ExampleData
from datasync.sync.experiment_records import EvaluationRecord, RunRecord

__all__ = [
    "EvaluationJob",
    "Previous",
    "RunPlan",
    "evaluation_hash",
    "plan_evaluations",
    "plan_runs",
    "seen_hash",
]


def seen_hash(example: ExampleData, binding: Binding) -> str:
    """The hash of the content parts ``binding`` sees in ``example``."""
    return hash_bytes(canonicalize({part: getattr(example, part) for part in binding.parts}))


def evaluation_hash(example: ExampleData, binding: Binding, output: Any) -> str:
    """The hash of what an evaluator sees: its parts of ``example`` and, if bound, ``output``.

    Raises :class:`~datasync.errors.CanonicalError` when ``output`` is not JSON."""
    doc: dict[str, Any] = {"example": {part: getattr(example, part) for part in binding.parts}}
    if binding.sees_output:
        doc["output"] = output
    return hash_bytes(canonicalize(doc))


@dataclass(frozen=True)
class Previous:
    """An earlier experiment's results, as the reuse rule needs them."""

    experiment_id: int
    task_fingerprint: str
    evaluators: Mapping[str, str]
    runs: Mapping[str, RunRecord]
    name: str = ""


@dataclass(frozen=True)
class RunPlan:
    """Examples whose task must run, and runs copied from the earlier experiment."""

    to_run: list[ExampleData]
    reused: list[RunRecord]


def plan_runs(
    examples: Iterable[ExampleData],
    binding: Binding,
    task_fingerprint: str,
    previous: Sequence[Previous],
) -> RunPlan:
    """Split ``examples`` into runs to execute and runs to copy from ``previous`` (newest
    first; see the module doc)."""
    to_run: list[ExampleData] = []
    reused: list[RunRecord] = []
    same_task = [p for p in previous if p.task_fingerprint == task_fingerprint]
    for example in examples:
        key: str | None = None
        for earlier in same_task:
            old = earlier.runs.get(example.source_id)
            if old is None or old.error is not None:
                continue
            key = key or seen_hash(example, binding)
            if old.seen_hash == key:
                reused.append(
                    replace(
                        old,
                        content_hash=example.hash or "",
                        reused_from=old.reused_from or earlier.experiment_id,
                        evaluations=(),
                    )
                )
                break
        else:
            to_run.append(example)
    return RunPlan(to_run, reused)


@dataclass(frozen=True)
class EvaluationJob:
    """One evaluator to call on one run."""

    example: ExampleData
    run: RunRecord
    evaluator: Evaluator
    seen_hash: str


def plan_evaluations(
    pairs: Sequence[tuple[ExampleData, RunRecord]],
    evaluators: Sequence[Evaluator],
    previous: Sequence[Previous],
) -> tuple[list[tuple[str, EvaluationRecord]], list[EvaluationJob]]:
    """Evaluations to copy (``(source_id, record)``) from ``previous`` (newest first) and to
    compute, for runs without errors."""
    copied: list[tuple[str, EvaluationRecord]] = []
    jobs: list[EvaluationJob] = []
    for example, run in pairs:
        if run.error is not None:
            continue
        for evaluator in evaluators:
            key = evaluation_hash(example, evaluator.binding, run.output)
            found = _earlier_evaluation(run.source_id, evaluator, key, previous)
            if found is not None:
                copied.append((run.source_id, replace(found, reused=True)))
            else:
                jobs.append(EvaluationJob(example, run, evaluator, key))
    return copied, jobs


def _earlier_evaluation(
    source_id: str, evaluator: Evaluator, key: str, previous: Sequence[Previous]
) -> EvaluationRecord | None:
    for earlier in previous:
        if earlier.evaluators.get(evaluator.name) != evaluator.fingerprint:
            continue
        old_run = earlier.runs.get(source_id)
        old = old_run.evaluation(evaluator.name) if old_run else None
        if old is not None and old.error is None and old.seen_hash == key:
            return old
    return None
