"""Task and evaluator fingerprints: when two functions count as "the same task". Pure.

* Explicit: ``task_version="v3"`` gives ``version:v3``. Use it when the behaviour depends on
  things the code does not show (a model name in a config file, a prompt loaded at run time,
  helper functions that changed).
* Derived: ``code:`` + the first 32 hex chars of BLAKE3 over the RFC 8785 bytes of
  ``{"name": qualified name, "source": dedented source text}`` (``inspect.getsource``). Where
  the source cannot be read (a function built at run time, a builtin), the code object stands
  in: its bytecode (hex), constants (nested code objects recursively) and names. A callable
  object is fingerprinted by its class's ``__call__``.

Any edit to the function's text (a comment too) changes the derived fingerprint, so earlier
results are not reused; edits outside it (helpers, globals, default argument values, closure
variables) do not: pass ``task_version`` when those matter.
"""

from __future__ import annotations

import inspect
import textwrap
import types
from collections.abc import Callable
from typing import Any

from datasync.canonical import canonicalize, hash_bytes
from datasync.errors import UsageError

__all__ = ["fingerprint"]

_MAX_VERSION = 200


def fingerprint(function: Callable[..., Any], version: str | None = None) -> str:
    """The fingerprint of ``function`` (see the module doc). Raises :class:`UsageError`
    (``invalid_task_version``) for an empty or over-long explicit version."""
    if version is not None:
        if not isinstance(version, str) or not 0 < len(version) <= _MAX_VERSION:
            raise UsageError(
                f"task_version must be a non-empty string of at most {_MAX_VERSION} chars",
                code="invalid_task_version",
            )
        return f"version:{version}"
    target = _unwrap(function)
    name = getattr(target, "__qualname__", type(target).__qualname__)
    try:
        source: Any = textwrap.dedent(inspect.getsource(target))
    except (OSError, TypeError):
        code = getattr(target, "__code__", None)
        source = _code_shape(code) if isinstance(code, types.CodeType) else repr(target)
    return "code:" + hash_bytes(canonicalize({"name": name, "source": source}))[:32]


def _unwrap(function: Callable[..., Any]) -> Any:
    target: Any = inspect.unwrap(function)
    if isinstance(target, types.MethodType):
        return target.__func__
    if not isinstance(target, types.FunctionType | types.BuiltinFunctionType | type):
        call = getattr(type(target), "__call__", None)  # noqa: B004 - callable objects
        if isinstance(call, types.FunctionType):
            return call
    return target


def _code_shape(code: types.CodeType) -> dict[str, Any]:
    consts = [_code_shape(c) if isinstance(c, types.CodeType) else repr(c) for c in code.co_consts]
    return {"bytecode": code.co_code.hex(), "consts": consts, "names": list(code.co_names)}
