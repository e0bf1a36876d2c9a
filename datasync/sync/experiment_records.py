"""Experiment records as they cross modules and the wire (store <-> server <-> client). Pure.

One definition, used by the store (rows), the server (JSON bodies), the client (results) and
the experiment logic (reuse): :class:`ExperimentInfo`, :class:`RunRecord`,
:class:`EvaluationRecord`, :class:`EvaluatorStats`. ``to_wire``/``from_wire`` are the JSON
forms documented in docs/protocol.md (§8).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from datasync.errors import ValidationError

__all__ = [
    "EXPERIMENT_STATUSES",
    "EvaluationRecord",
    "EvaluatorStats",
    "ExperimentInfo",
    "ReuseSource",
    "RunRecord",
    "check_status",
    "validate_evaluator_name",
    "validate_experiment_name",
]

#: ``running`` until the client finishes it; ``interrupted`` when stopped (Ctrl-C).
EXPERIMENT_STATUSES = ("running", "complete", "interrupted")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9 ._:/-]{0,199}\Z")
_EVALUATOR = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,99}\Z")


def validate_experiment_name(name: object) -> str:
    """``name`` if it is 1..200 chars of letters, digits, space and ``._:/-`` (starting with a
    letter, digit or ``_``); raises :class:`ValidationError` (``invalid_experiment_name``)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError(
            f"invalid experiment name {name!r}: 1..200 chars of letters, digits, space and"
            " . _ : / -, starting with a letter, digit or _",
            code="invalid_experiment_name",
        )
    return name


def validate_evaluator_name(name: object) -> str:
    """``name`` if it is a valid evaluator name (an identifier, ``.`` and ``-`` allowed,
    at most 100 chars); raises :class:`ValidationError` (``invalid_evaluator_name``)."""
    if not isinstance(name, str) or not _EVALUATOR.match(name):
        raise ValidationError(
            f"invalid evaluator name {name!r}: a letter or _, then letters, digits, _ . -"
            " (at most 100 chars); name lambdas explicitly: ('name', fn)",
            code="invalid_evaluator_name",
        )
    return name


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True, slots=True)
class EvaluationRecord:
    """One evaluator's result on one run: a score, a label, an explanation, or an error.

    ``seen_hash`` hashes what the evaluator saw (docs/experiments.md); ``reused`` says the
    result was copied from an earlier experiment instead of computed.
    """

    name: str
    score: float | None = None
    label: str | None = None
    explanation: str | None = None
    error: str | None = None
    seen_hash: str = ""
    reused: bool = False

    def to_wire(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> EvaluationRecord:
        return cls(
            str(data["name"]),
            data.get("score"),
            data.get("label"),
            data.get("explanation"),
            data.get("error"),
            str(data.get("seen_hash", "")),
            bool(data.get("reused", False)),
        )


@dataclass(frozen=True, slots=True)
class RunRecord:
    """The task's run on one example of the pinned version.

    ``content_hash``: the example's content hash v1; ``seen_hash``: the hash of the parts the
    task saw (the reuse key). ``output`` is any JSON value (``None`` with an ``error``).
    ``reused_from``: the experiment where this run really ran, when it was reused.
    """

    source_id: str
    content_hash: str
    seen_hash: str
    output: Any = None
    error: str | None = None
    latency_seconds: float | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    reused_from: int | None = None
    evaluations: tuple[EvaluationRecord, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id,
            "content_hash": self.content_hash,
            "seen_hash": self.seen_hash,
            "output": self.output,
            "error": self.error,
            "latency_seconds": self.latency_seconds,
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "reused_from": self.reused_from,
            "evaluations": [e.to_wire() for e in self.evaluations],
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> RunRecord:
        return cls(
            str(data["source_id"]),
            str(data["content_hash"]),
            str(data["seen_hash"]),
            data.get("output"),
            data.get("error"),
            data.get("latency_seconds"),
            _time(data.get("started_at")),
            _time(data.get("ended_at")),
            data.get("reused_from"),
            tuple(EvaluationRecord.from_wire(e) for e in data.get("evaluations") or ()),
        )

    def evaluation(self, name: str) -> EvaluationRecord | None:
        """This run's evaluation by ``name``, if any."""
        return next((e for e in self.evaluations if e.name == name), None)


@dataclass(frozen=True, slots=True)
class EvaluatorStats:
    """One evaluator over an experiment: evaluations, mean score (``None``: no scores), errors."""

    name: str
    count: int
    mean: float | None
    errors: int

    def to_wire(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> EvaluatorStats:
        return cls(str(data["name"]), int(data["count"]), data.get("mean"), int(data["errors"]))


@dataclass(frozen=True, slots=True)
class ReuseSource:
    """Where an experiment's reused runs came from: ``count`` runs first made by experiment
    ``experiment_id`` named ``name``."""

    experiment_id: int
    name: str
    count: int

    def text(self) -> str:
        """``reused 1 from experiment 3 'support-v1'``."""
        return f"reused {self.count} from experiment {self.experiment_id} {self.name!r}"

    def to_wire(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> ReuseSource:
        return cls(int(data["experiment_id"]), str(data["name"]), int(data["count"]))


@dataclass(frozen=True, slots=True)
class ExperimentInfo:
    """An experiment: a task run over one pinned dataset version, with its counts.

    ``ran``: runs executed by this experiment (errors included); ``reused``: runs copied from
    an earlier experiment; ``errors``: runs that ended in an error; ``scores``: per evaluator;
    ``reused_sources``: the experiments the reused runs were first made by (most runs first).
    """

    id: int
    dataset_id: int
    dataset: str
    version_id: int
    name: str
    task_fingerprint: str
    evaluators: dict[str, str]
    tags: dict[str, str]
    metadata: dict[str, Any]
    status: str
    created_at: datetime
    ended_at: datetime | None
    reused_from_id: int | None
    ran: int = 0
    reused: int = 0
    errors: int = 0
    scores: dict[str, EvaluatorStats] = field(default_factory=dict)
    reused_sources: tuple[ReuseSource, ...] = ()

    @property
    def runs(self) -> int:
        """Runs recorded (ran + reused)."""
        return self.ran + self.reused

    def to_wire(self) -> dict[str, Any]:
        out = {
            name: getattr(self, name)
            for name in self.__dataclass_fields__
            if name not in ("scores", "created_at", "ended_at", "reused_sources")
        }
        out["created_at"] = self.created_at.isoformat()
        out["ended_at"] = _iso(self.ended_at)
        out["scores"] = {k: v.to_wire() for k, v in self.scores.items()}
        out["reused_sources"] = [r.to_wire() for r in self.reused_sources]
        return out

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> ExperimentInfo:
        special = ("scores", "reused_sources")
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        fields = {k: v for k, v in fields.items() if k not in special}
        created = datetime.fromisoformat(data["created_at"])
        scores = {k: EvaluatorStats.from_wire(v) for k, v in (data.get("scores") or {}).items()}
        sources = tuple(ReuseSource.from_wire(r) for r in data.get("reused_sources") or ())
        return cls(
            **{**fields, "created_at": created, "ended_at": _time(data.get("ended_at"))},
            scores=scores,
            reused_sources=sources,
        )


def check_status(status: str) -> str:
    """``status`` if it is one of :data:`EXPERIMENT_STATUSES`; else :class:`ValidationError`."""
    if status not in EXPERIMENT_STATUSES:
        raise ValidationError(
            f"experiment status must be one of {', '.join(EXPERIMENT_STATUSES)}, not {status!r}",
            code="invalid_status",
        )
    return status
