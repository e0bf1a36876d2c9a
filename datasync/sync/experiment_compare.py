"""Comparing two experiments example by example. Pure.

Examples are matched by source id. An example only in B is *added*, only in A *removed*; in
both, ``content_changed`` says whether its content hash differs between the two versions.
Per evaluator and example: A's score, B's score and ``delta = B - A`` (``None`` where either
is missing). Aggregates per evaluator: mean score of A and of B over all their scored runs,
``delta`` between those means, and ``paired_delta``, the mean delta over examples scored in
both (the like-for-like figure when the versions differ).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from datasync._render import score_charts, table
from datasync.sync.experiment_records import RunRecord

__all__ = ["Comparison", "EvaluatorDelta", "ExampleDelta", "compare_runs"]


@dataclass(frozen=True, slots=True)
class ScorePair:
    """One evaluator's score on one example in A and in B."""

    a: float | None
    b: float | None

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a


@dataclass(frozen=True, slots=True)
class ExampleDelta:
    """One source id across the two experiments."""

    source_id: str
    status: str  # "both", "added" (only in B) or "removed" (only in A)
    content_changed: bool
    error_a: str | None
    error_b: str | None
    scores: dict[str, ScorePair]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id,
            "status": self.status,
            "content_changed": self.content_changed,
            "error_a": self.error_a,
            "error_b": self.error_b,
            "scores": {
                k: {"a": v.a, "b": v.b, "delta": v.delta} for k, v in sorted(self.scores.items())
            },
        }


@dataclass(frozen=True, slots=True)
class EvaluatorDelta:
    """One evaluator's aggregates in A and B."""

    name: str
    mean_a: float | None
    mean_b: float | None
    paired_delta: float | None
    paired: int

    @property
    def delta(self) -> float | None:
        return None if self.mean_a is None or self.mean_b is None else self.mean_b - self.mean_a

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "mean_a": self.mean_a,
            "mean_b": self.mean_b,
            "delta": self.delta,
            "paired_delta": self.paired_delta,
            "paired": self.paired,
        }


@dataclass(frozen=True)
class Comparison:
    """Experiment A against experiment B."""

    a: int
    b: int
    examples: list[ExampleDelta]
    evaluators: dict[str, EvaluatorDelta]

    def _ids(self, status: str) -> list[str]:
        return [e.source_id for e in self.examples if e.status == status]

    @property
    def added(self) -> list[str]:
        """Source ids only in B."""
        return self._ids("added")

    @property
    def removed(self) -> list[str]:
        """Source ids only in A."""
        return self._ids("removed")

    @property
    def changed(self) -> list[str]:
        """Source ids in both whose content differs between the two versions."""
        return [e.source_id for e in self.examples if e.content_changed]

    def scores(self) -> dict[str, tuple[list[float], list[float]]]:
        """Per evaluator, every score of A and every score of B (for charts)."""
        out: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in self.evaluators}
        for row in self.examples:
            for name, pair in row.scores.items():
                if pair.a is not None:
                    out[name][0].append(pair.a)
                if pair.b is not None:
                    out[name][1].append(pair.b)
        return out

    def _repr_html_(self) -> str:
        """A notebook's view: the aggregates per evaluator and a chart of each."""
        rows = [
            (d.name, d.mean_a, d.mean_b, d.delta, d.paired_delta, d.paired)
            for d in sorted(self.evaluators.values(), key=lambda d: d.name)
        ]
        caption = (
            f"experiment {self.a} (A) vs {self.b} (B): {len(self.added)} added,"
            f" {len(self.removed)} removed, {len(self.changed)} changed"
        )
        headers = ("evaluator", "mean A", "mean B", "delta", "paired delta", "paired")
        labels = (f"A #{self.a}", f"B #{self.b}")
        return f"<div>{table(headers, rows, caption)}{score_charts(self.scores(), labels)}</div>"

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "evaluators": {k: v.to_dict() for k, v in sorted(self.evaluators.items())},
            "examples": [e.to_dict() for e in self.examples],
        }


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _scores(run: RunRecord | None) -> dict[str, float | None]:
    return {} if run is None else {e.name: e.score for e in run.evaluations}


def compare_runs(
    a_id: int, a_runs: Iterable[RunRecord], b_id: int, b_runs: Iterable[RunRecord]
) -> Comparison:
    """Compare the runs (with evaluations) of experiment ``a_id`` and ``b_id``."""
    a = {r.source_id: r for r in a_runs}
    b = {r.source_id: r for r in b_runs}
    names = sorted({e.name for r in (*a.values(), *b.values()) for e in r.evaluations})
    rows: list[ExampleDelta] = []
    for sid in sorted(a.keys() | b.keys()):
        ra, rb = a.get(sid), b.get(sid)
        status = "both" if ra and rb else "added" if rb else "removed"
        sa, sb = _scores(ra), _scores(rb)
        rows.append(
            ExampleDelta(
                sid,
                status,
                bool(ra and rb and ra.content_hash != rb.content_hash),
                ra.error if ra else None,
                rb.error if rb else None,
                {n: ScorePair(sa.get(n), sb.get(n)) for n in names if n in sa or n in sb},
            )
        )
    evaluators: dict[str, EvaluatorDelta] = {}
    for name in names:
        in_a = [s for r in a.values() if (s := _scores(r).get(name)) is not None]
        in_b = [s for r in b.values() if (s := _scores(r).get(name)) is not None]
        deltas = [
            d for row in rows if name in row.scores and (d := row.scores[name].delta) is not None
        ]
        evaluators[name] = EvaluatorDelta(
            name, _mean(in_a), _mean(in_b), _mean(deltas), len(deltas)
        )
    return Comparison(a_id, b_id, rows, evaluators)
