"""What a task or an evaluator sees: its arguments, bound by parameter name. Pure.

A task's parameters may be named ``input`` (the example's input), ``expected`` (the example's
output), ``metadata`` and ``example`` (the whole :class:`~datasync.sync.ExampleData`, also a
mapping). An evaluator may also name ``output`` (what the task returned). The names users
bring from Phoenix and LangSmith bind too: ``reference`` (Phoenix) and ``reference_outputs``
(LangSmith) are the expected output, ``inputs`` (LangSmith) the input, ``outputs``
(LangSmith, evaluators) the task's output. A function with a single parameter of another
name gets the task's ``input`` (a task) or the task's ``output`` (an evaluator). ``**kwargs``
receives ``input``, ``expected``, ``metadata``, ``example`` (and ``output``); the aliases bind
by explicit name only. Anything else is a :class:`UsageError` naming the function and the
parameter.

The *parts* of the example a function sees decide when an earlier result may be reused:
``input``/``inputs`` see ``input``; ``expected``/``reference``/``reference_outputs`` see
``output``; ``metadata`` sees ``metadata``; ``example`` sees all three, unless the function's
code only ever reads constant keys of it (``example["input"]``, ``example.get("metadata")``,
``example.output``, ``example["id"]``): then it sees just those parts (``id`` is identity,
not content). Any other use of ``example`` (passed on, iterated, ``dict(example)``, used by
a nested function, never reading it by name) counts as seeing all three.
"""

from __future__ import annotations

import dis
import inspect
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from datasync.errors import UsageError
from datasync.sync import ExampleData

__all__ = ["EVALUATOR_NAMES", "TASK_NAMES", "Binding", "bind"]

#: What ``**kwargs`` receives; the Phoenix/LangSmith aliases bind only by explicit name.
_CANONICAL_TASK_NAMES = ("input", "expected", "metadata", "example")
TASK_NAMES = (*_CANONICAL_TASK_NAMES, "reference", "inputs", "reference_outputs")
EVALUATOR_NAMES = ("output", "outputs", *TASK_NAMES)
_PARTS = {
    "input": ("input",),
    "inputs": ("input",),
    "expected": ("output",),
    "reference": ("output",),
    "reference_outputs": ("output",),
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
    #: The parts read through ``example`` (``None``: all three; see the module doc).
    example_parts: tuple[str, ...] | None = None

    @property
    def parts(self) -> tuple[str, ...]:
        """The example's content parts this function sees (sorted): its reuse key."""
        seen: set[str] = set()
        for name in self.names:
            if name == "example" and self.example_parts is not None:
                seen.update(self.example_parts)
            else:
                seen.update(_PARTS.get(name, ()))
        return tuple(sorted(seen))

    @property
    def sees_output(self) -> bool:
        """Whether the function sees the task's output (evaluators)."""
        return "output" in self.names or "outputs" in self.names

    def arguments(self, example: ExampleData, output: Any = None) -> dict[str, Any]:
        """The keyword values for ``example`` (and the task's ``output``)."""
        values = {
            "input": example.input,
            "inputs": example.input,
            "expected": example.output,
            "reference": example.output,
            "reference_outputs": example.output,
            "metadata": example.metadata,
            "example": example,
            "output": output,
            "outputs": output,
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
        every = ("output", *_CANONICAL_TASK_NAMES) if evaluator else _CANONICAL_TASK_NAMES
        return Binding(function, every, False, is_async)
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
    names = tuple(p.name for p in known)
    parts = _example_parts(function) if "example" in names else None
    return Binding(function, names, False, is_async, parts)


#: ``example[key]`` / ``example.get(key)`` / ``example.key`` -> the content part it reads.
_KEY_PARTS = {"input": "input", "output": "output", "metadata": "metadata", "id": None}
_ATTR_PARTS = {**_KEY_PARTS, "source_id": None}
_PLAIN_LOADS = frozenset({"LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_BORROW"})


def _example_parts(function: Callable[..., Any]) -> tuple[str, ...] | None:
    """The parts a function reads through its ``example`` parameter when its code reads only
    constant keys of it; ``None`` (all parts) for anything else."""
    target: Any = inspect.unwrap(function)
    if isinstance(target, types.MethodType):
        target = target.__func__
    code = getattr(target, "__code__", None)
    if not isinstance(code, types.CodeType) or "example" in code.co_cellvars:
        return None
    ops = list(dis.get_instructions(code))
    parts: set[str] = set()
    read = False
    for i, ins in enumerate(ops):
        if ins.opname not in _PLAIN_LOADS:
            named = ins.argval if isinstance(ins.argval, tuple) else (ins.argval,)
            if "example" in named:  # stored, deleted, loaded with another: not just read
                return None
            continue
        if ins.argval != "example":
            continue
        nxt = ops[i + 1] if i + 1 < len(ops) else None
        after = ops[i + 2] if i + 2 < len(ops) else None
        if nxt is None:
            return None
        if nxt.opname in ("LOAD_ATTR", "LOAD_METHOD") and nxt.argval == "get":
            key = after.argval if after is not None and after.opname == "LOAD_CONST" else None
            table = _KEY_PARTS
        elif nxt.opname == "LOAD_ATTR":
            key, table = nxt.argval, _ATTR_PARTS
        elif nxt.opname == "LOAD_CONST" and after is not None and after.opname == "BINARY_SUBSCR":
            key, table = nxt.argval, _KEY_PARTS
        else:
            return None
        if not isinstance(key, str) or key not in table:
            return None
        part = table[key]
        if part is not None:
            parts.add(part)
        read = True
    # Never read by name (``locals()``, ``eval``, or not at all): count it as seen whole.
    return tuple(sorted(parts)) if read else None
