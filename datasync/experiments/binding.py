"""What a task or an evaluator sees: its arguments, bound by parameter name. Pure.

A task's parameters may be named ``input`` (the example's input), ``expected`` (the example's
output), ``metadata`` and ``example`` (the whole :class:`~datasync.sync.ExampleData`). An
evaluator may also name ``output`` (what the task returned). A function with a single
parameter of another name gets the task's ``input`` (a task) or the task's ``output`` (an
evaluator). ``**kwargs`` receives every name. Anything else is a :class:`UsageError` naming
the function and the parameter.

The *parts* of the example a function sees decide when an earlier result may be reused:
``input`` sees ``input``; ``expected`` sees ``output``; ``metadata`` sees ``metadata``;
``example`` sees all three.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from datasync.errors import UsageError
from datasync.sync import ExampleData

__all__ = ["EVALUATOR_NAMES", "TASK_NAMES", "Binding", "bind"]

TASK_NAMES = ("input", "expected", "metadata", "example")
EVALUATOR_NAMES = ("output", *TASK_NAMES)
_PARTS = {
    "input": ("input",),
    "expected": ("output",),
    "metadata": ("metadata",),
    "example": ("input", "output", "metadata"),
}


@dataclass(frozen=True, slots=True)
class Binding:
    """How to call one function: ``(parameter, name)`` pairs, passed as keywords or, for the
    single-parameter form, positionally."""

    function: Callable[..., Any]
    names: tuple[str, ...]
    positional: bool
    is_async: bool

    @property
    def parts(self) -> tuple[str, ...]:
        """The example's content parts this function sees (sorted): its reuse key."""
        seen = {part for name in self.names for part in _PARTS.get(name, ())}
        return tuple(sorted(seen))

    @property
    def sees_output(self) -> bool:
        """Whether the function sees the task's output (evaluators)."""
        return "output" in self.names

    def arguments(self, example: ExampleData, output: Any = None) -> dict[str, Any]:
        """The keyword values for ``example`` (and the task's ``output``)."""
        values = {
            "input": example.input,
            "expected": example.output,
            "metadata": example.metadata,
            "example": example,
            "output": output,
        }
        return {name: values[name] for name in self.names}

    def call(self, example: ExampleData, output: Any = None) -> Any:
        """Call the function on ``example`` (a coroutine if it is async)."""
        values = self.arguments(example, output)
        if self.positional:
            return self.function(*values.values())
        return self.function(**values)


def _name_of(function: Callable[..., Any]) -> str:
    return getattr(function, "__qualname__", None) or repr(function)


def bind(function: Callable[..., Any], *, evaluator: bool = False) -> Binding:
    """The :class:`Binding` of a task (or, with ``evaluator``, an evaluator).

    Raises :class:`UsageError` (``not_callable``, ``unbound_parameter``).
    """
    if not callable(function):
        raise UsageError(f"{function!r} is not callable", code="not_callable")
    allowed = EVALUATOR_NAMES if evaluator else TASK_NAMES
    default = "output" if evaluator else "input"
    try:
        params = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        params = []
    is_async = inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        getattr(function, "__call__", None)  # noqa: B004 - async callable objects
    )
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return Binding(function, allowed, False, is_async)
    required = [p for p in params if p.default is p.empty and p.kind is not p.VAR_POSITIONAL]
    known = [p for p in params if p.name in allowed and p.kind is not p.POSITIONAL_ONLY]
    if len(params) == 1 and not known and params[0].kind is not params[0].KEYWORD_ONLY:
        return Binding(function, (default,), True, is_async)
    for p in required:
        if p.name not in allowed or p.kind is p.POSITIONAL_ONLY:
            raise UsageError(
                f"{_name_of(function)}: parameter {p.name!r} cannot be bound; name parameters"
                f" {', '.join(allowed)} (or give the function a single parameter)",
                code="unbound_parameter",
                details={"function": _name_of(function), "parameter": p.name},
            )
    if not known:
        raise UsageError(
            f"{_name_of(function)} takes no parameter; name one of {', '.join(allowed)}",
            code="unbound_parameter",
            details={"function": _name_of(function)},
        )
    return Binding(function, tuple(p.name for p in known), False, is_async)
