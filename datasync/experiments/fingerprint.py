"""Task and evaluator fingerprints: when two functions count as "the same task".

* Explicit: ``task_version="v3"`` gives ``version:v3``. It wins over everything below, and
  is what crosses languages (a TypeScript ``taskVersion`` gives the same string).
* Derived: ``code:`` + the first 32 hex chars of BLAKE3 over the RFC 8785 bytes of
  ``{"name": qualified name, "source": dedented source text}`` (``inspect.getsource``), plus,
  when the function has them, what it reads:

  - ``globals``: every global the function's code names (its nested lambdas and
    comprehensions too), by name;
  - ``closure``: the values of its closure cells, by variable name;
  - ``defaults``: its default argument values (positional, then keyword-only by name).

  A value is described by what it is: JSON-able values as themselves (lists, tuples, sets and
  dicts element by element); a function of the same module by its own source and reads (a
  *helper*, followed at most :data:`MAX_HELPER_DEPTH` calls deep); other functions, builtins,
  classes and modules by their qualified name; an enum member by name. Anything else (a client
  object, say) is described by its type only and a :class:`~datasync.errors.FingerprintWarning`
  names the variable once: a change to it is invisible, so pass ``task_version``.

  Where the source cannot be read (a function built at run time, a builtin), the code object
  stands in: its bytecode (hex), constants (nested code objects recursively) and names. A
  callable object is fingerprinted by its class's ``__call__``.

  A variable the function changes in place (``seen.append(x)``, ``cache[k] = v``, ``.add``,
  ``.update``, ...) is state, not configuration: only its type counts. Locks, events, queues
  and loggers count by type too, without a warning.

So editing the function, a global string it reads (``MODEL = "gpt-new"``), a closure value, a
default or a helper's body changes the derived fingerprint; a comment elsewhere in the module
does not.
"""

from __future__ import annotations

import dis
import enum
import functools
import inspect
import textwrap
import threading
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from datasync.canonical import canonicalize, hash_bytes
from datasync.errors import CanonicalError, FingerprintWarning, UsageError

__all__ = ["MAX_HELPER_DEPTH", "fingerprint"]

_MAX_VERSION = 200
#: How many calls deep helpers of the same module are followed.
MAX_HELPER_DEPTH = 3
_MAX_NESTING = 32
_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()


def fingerprint(function: Callable[..., Any], version: str | None = None) -> str:
    """The fingerprint of ``function`` (see the module doc). Raises :class:`UsageError`
    (``invalid_task_version``) for an empty or over-long explicit version; warns
    :class:`~datasync.errors.FingerprintWarning` once per value it cannot see."""
    if version is not None:
        if not isinstance(version, str) or not 0 < len(version) <= _MAX_VERSION:
            raise UsageError(
                f"task_version must be a non-empty string of at most {_MAX_VERSION} chars",
                code="invalid_task_version",
            )
        return f"version:{version}"
    target = _unwrap(function)
    reader = _Reader(getattr(target, "__module__", None))
    doc = reader.function(target, 0)
    _warn(getattr(target, "__qualname__", repr(target)), reader.unseen)
    return "code:" + hash_bytes(canonicalize(doc))[:32]


def _unwrap(function: Callable[..., Any]) -> Any:
    target: Any = inspect.unwrap(function)
    if isinstance(target, types.MethodType):
        return target.__func__
    if not isinstance(target, types.FunctionType | types.BuiltinFunctionType | type):
        call = getattr(type(target), "__call__", None)  # noqa: B004 - callable objects
        if isinstance(call, types.FunctionType):
            return call
    return target


def _source(target: Any) -> Any:
    try:
        return textwrap.dedent(inspect.getsource(target))
    except (OSError, TypeError):
        code = getattr(target, "__code__", None)
        return _code_shape(code) if isinstance(code, types.CodeType) else repr(target)


def _code_shape(code: types.CodeType) -> dict[str, Any]:
    consts = [_code_shape(c) if isinstance(c, types.CodeType) else repr(c) for c in code.co_consts]
    return {"bytecode": code.co_code.hex(), "consts": consts, "names": list(code.co_names)}


def _global_names(code: types.CodeType) -> list[str]:
    """Names the code (and the code nested in it) looks up, in first-use order."""
    names: dict[str, None] = dict.fromkeys(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names.update(dict.fromkeys(_global_names(const)))
    return list(names)


_LOADS = frozenset({"LOAD_GLOBAL", "LOAD_DEREF", "LOAD_NAME", "LOAD_CLASSDEREF"})
_SIMPLE = frozenset({"LOAD_CONST", "LOAD_FAST", *_LOADS})
#: Methods that change a list, dict or set in place: a variable they are called on is state.
_MUTATORS = frozenset(
    {
        "append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse", "add",
        "discard", "update", "setdefault", "popitem", "difference_update",
        "intersection_update", "symmetric_difference_update", "__setitem__", "__delitem__",
    }
)  # fmt: skip
#: Objects of these modules carry no behaviour of a task (locks, events, queues, loggers):
#: described by type, without a warning.
_PLUMBING = ("threading", "_thread", "asyncio", "queue", "logging", "multiprocessing")


def _mutated_names(code: types.CodeType) -> set[str]:
    """Variables the code changes in place (``name.append(...)``, ``name[k] = v``)."""
    out: set[str] = set()
    ops = list(dis.get_instructions(code))
    for i, ins in enumerate(ops):
        if ins.opname in _LOADS and i + 1 < len(ops):
            nxt = ops[i + 1]
            if nxt.opname in ("LOAD_ATTR", "LOAD_METHOD") and nxt.argval in _MUTATORS:
                out.add(str(ins.argval))
        if ins.opname in ("STORE_SUBSCR", "DELETE_SUBSCR") and i >= 2:
            key, container = ops[i - 1], ops[i - 2]  # container, key, then the opcode
            if key.opname in _SIMPLE and container.opname in _LOADS:
                out.add(str(container.argval))
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            out |= _mutated_names(const)
    return out


def _qualified(value: Any) -> str:
    module = getattr(value, "__module__", None) or ""
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None) or repr(value)
    return f"{module}.{name}" if module else str(name)


@dataclass
class _Reader:
    """Describes a function and what it reads; collects the names it cannot see."""

    module: str | None
    unseen: dict[str, str] = field(default_factory=dict)
    _visiting: set[int] = field(default_factory=set)

    def function(self, target: Any, depth: int) -> dict[str, Any]:
        name = getattr(target, "__qualname__", type(target).__qualname__)
        doc: dict[str, Any] = {"name": name, "source": _source(target)}
        if not isinstance(target, types.FunctionType) or id(target) in self._visiting:
            return doc
        self._visiting.add(id(target))
        try:
            doc.update(self._reads(target, depth))
        finally:
            self._visiting.discard(id(target))
        return doc

    def _reads(self, function: types.FunctionType, depth: int) -> dict[str, Any]:
        code = function.__code__
        out: dict[str, Any] = {}
        scope = function.__globals__
        state = _mutated_names(code)  # what the function writes to is state, not config
        found = {n: scope[n] for n in _global_names(code) if n in scope}
        if found:
            out["globals"] = {n: self._read(v, n, n in state, depth) for n, v in found.items()}
        cells = {}
        for var, cell in zip(code.co_freevars, function.__closure__ or (), strict=True):
            try:
                contents = cell.cell_contents
            except ValueError:  # a cell not filled yet (a name assigned after the def)
                continue
            cells[var] = self._read(contents, var, var in state, depth)
        if cells:
            out["closure"] = cells
        defaults = [self.value(v, "a default", depth, 0) for v in function.__defaults__ or ()]
        keyword = {
            k: self.value(v, k, depth, 0) for k, v in (function.__kwdefaults__ or {}).items()
        }
        if defaults or keyword:
            out["defaults"] = {"positional": defaults, "keyword": keyword}
        return out

    def _read(self, value: Any, name: str, written: bool, depth: int) -> Any:
        if written:
            return {"state": _qualified(type(value))}
        return self.value(value, name, depth, 0)

    def value(self, value: Any, name: str, depth: int, nesting: int) -> Any:
        """A JSON description of ``value`` (see the module doc)."""
        if nesting > _MAX_NESTING:
            return self._unseen(name, value)
        if value is None or isinstance(value, bool | int | float | str):
            return _scalar(value)
        if isinstance(value, enum.Enum):
            return {"enum": f"{_qualified(type(value))}.{value.name}"}
        if isinstance(value, list | tuple):
            return [self.value(v, name, depth, nesting + 1) for v in value]
        if isinstance(value, set | frozenset):
            items = [self.value(v, name, depth, nesting + 1) for v in value]
            return {"set": sorted(items, key=canonicalize)}
        if isinstance(value, dict):
            pairs = [
                [self.value(k, name, depth, nesting + 1), self.value(v, name, depth, nesting + 1)]
                for k, v in value.items()
            ]
            if all(isinstance(k, str) for k in value):
                return {"dict": {k: v for (k, v) in pairs}}
            return {"dict_items": sorted(pairs, key=canonicalize)}
        return self._callable_or_type(value, name, depth, nesting)

    def _callable_or_type(self, value: Any, name: str, depth: int, nesting: int) -> Any:
        if isinstance(value, types.ModuleType):
            return {"module": value.__name__}
        if isinstance(value, types.FunctionType):
            helper = value.__module__ == self.module and depth < MAX_HELPER_DEPTH
            if helper:
                return {"helper": self.function(value, depth + 1)}
            return {"ref": _qualified(value)}
        if isinstance(value, types.MethodType):
            return {"method": self.value(value.__func__, name, depth, nesting + 1)}
        if isinstance(value, functools.partial):
            return {
                "partial": self.value(value.func, name, depth, nesting + 1),
                "args": self.value(list(value.args), name, depth, nesting + 1),
                "keywords": self.value(dict(value.keywords), name, depth, nesting + 1),
            }
        if isinstance(value, type):
            if value.__module__ == self.module and depth < MAX_HELPER_DEPTH:
                return {"class": _qualified(value), "source": _source(value)}
            return {"ref": _qualified(value)}
        if isinstance(value, types.BuiltinFunctionType | types.BuiltinMethodType):
            return {"ref": _qualified(value)}
        if callable(value) and hasattr(value, "__qualname__"):  # operator.itemgetter & co.
            return {"ref": _qualified(value)}
        return self._unseen(name, value)

    def _unseen(self, name: str, value: Any) -> Any:
        kind = _qualified(type(value))
        if not type(value).__module__.startswith(_PLUMBING):
            self.unseen.setdefault(name, kind)
        return {"object": kind}


def _scalar(value: Any) -> Any:
    try:
        canonicalize(value)
    except CanonicalError:  # NaN, an integer no double holds: still a value, compared as text
        return {"repr": repr(value)}
    return value


def _warn(function: str, unseen: dict[str, str]) -> None:
    for name, kind in unseen.items():
        with _warned_lock:
            if (function, name) in _warned:
                continue
            _warned.add((function, name))
        warnings.warn(
            f"{function} reads {name!r} (a {kind}), which its fingerprint cannot see: a change"
            " to it will not make an experiment run the task again. Pass task_version='...'"
            " and change it when the behaviour changes.",
            FingerprintWarning,
            stacklevel=4,
        )
