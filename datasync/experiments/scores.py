"""Evaluators: naming them and turning what they return into a score. Pure.

An evaluator returns one of:

=====================================  ===================================================
``True`` / ``False``                   score ``1.0`` / ``0.0``, label ``"true"``/``"false"``
a number (finite)                      that score
a string                               that label (no score)
``{"score", "label", "explanation"}``  any subset of these keys (score a number or bool,
                                       label and explanation strings)
``None``                               nothing: recorded with no score, label or error
=====================================  ===================================================

Anything else is recorded as that evaluation's error (the run's output is kept).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from datasync.errors import UsageError
from datasync.experiments.binding import Binding, bind
from datasync.experiments.fingerprint import fingerprint
from datasync.sync.experiment_records import EvaluationRecord, validate_evaluator_name

__all__ = ["Evaluator", "Evaluators", "ScoreError", "evaluators_of", "normalize_result"]

#: What ``evaluators=`` accepts: callables (named by ``__name__``), ``(name, callable)``
#: pairs, or a mapping of names to callables.
Evaluators = (
    Sequence[Callable[..., Any] | tuple[str, Callable[..., Any]]] | Mapping[str, Callable[..., Any]]
)
_MAX_TEXT = 10_000


class ScoreError(ValueError):
    """An evaluator returned something that is not a score (recorded, never raised out)."""


@dataclass(frozen=True, slots=True)
class Evaluator:
    """A named evaluator with its binding and fingerprint."""

    name: str
    binding: Binding
    fingerprint: str


def evaluators_of(given: Evaluators | None) -> list[Evaluator]:
    """The evaluators ``given``, named and bound. Raises :class:`UsageError`
    (``duplicate_evaluator``, ``unbound_parameter``) and
    :class:`~datasync.errors.ValidationError` (``invalid_evaluator_name``)."""
    pairs: Iterable[tuple[str, Callable[..., Any]]]
    if given is None:
        pairs = ()
    elif isinstance(given, Mapping):
        pairs = given.items()
    else:
        pairs = [
            item if isinstance(item, tuple) else (getattr(item, "__name__", ""), item)
            for item in given
        ]
    out: list[Evaluator] = []
    for name, function in pairs:
        validate_evaluator_name(name)
        if any(e.name == name for e in out):
            raise UsageError(
                f"two evaluators are named {name!r}; name them explicitly: ('name', fn)",
                code="duplicate_evaluator",
            )
        out.append(Evaluator(name, bind(function, evaluator=True), fingerprint(function)))
    return out


def _text(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ScoreError(f"{what} must be a string, not {type(value).__name__}")
    return value[:_MAX_TEXT]


def _score(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if not math.isfinite(number):
            raise ScoreError(f"score must be a finite number, not {value!r}")
        return number
    raise ScoreError(f"score must be a number or a bool, not {type(value).__name__}")


def normalize_result(name: str, result: Any) -> EvaluationRecord:
    """The :class:`EvaluationRecord` for what evaluator ``name`` returned.

    Raises :class:`ScoreError` for a value that is not a score (see the module doc).
    """
    if isinstance(result, bool):
        return EvaluationRecord(name, _score(result), "true" if result else "false")
    if result is None or isinstance(result, int | float):
        return EvaluationRecord(name, _score(result))
    if isinstance(result, str):
        return EvaluationRecord(name, label=_text(result, "label"))
    if isinstance(result, Mapping):
        unknown = sorted(set(map(str, result)) - {"score", "label", "explanation"})
        if unknown:
            raise ScoreError(f"unknown keys {unknown}; use score, label, explanation")
        return EvaluationRecord(
            name,
            _score(result.get("score")),
            _text(result.get("label"), "label"),
            _text(result.get("explanation"), "explanation"),
        )
    raise ScoreError(
        f"returned {type(result).__name__}; return a number, a bool, a label string or"
        " {'score', 'label', 'explanation'}"
    )
