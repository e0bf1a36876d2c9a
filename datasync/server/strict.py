"""Strict reading of what a request names: ids, path and query text, JSON bodies.

Every route goes through :class:`StrictRoute`, which refuses (``422``) before the route runs:
a NUL character in the path or a query value (PostgreSQL cannot store one; SQLite would, so
both refuse alike: ``nul_character``), and a JSON body that is not plain JSON — ``NaN`` and
``Infinity``, numbers too large for a double, duplicate keys, lone surrogates and NULs in
strings or keys (``invalid_json``, naming the JSON path). Ids in paths and queries are
:data:`PathId` (ASCII digits, ``0..MAX_ID``); ids in bodies :data:`BodyId` (JSON integers
in that range; ``"5"`` and ``5.0`` are refused).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import BeforeValidator, Field

from datasync.errors import ValidationError
from datasync.store import MAX_ID, is_id_text

__all__ = ["BodyId", "Digits", "PathId", "StrictRoute", "strict_json"]

_MAX_DEPTH = 100


def _ascii_digits(value: Any) -> Any:
    if isinstance(value, str) and not is_id_text(value):
        raise ValueError("write the number in ASCII digits")
    return value


#: A number from a path or query: ASCII digits (``" 5"``, ``"5_0"`` and ``"5.0"`` are refused).
Digits = Annotated[int, BeforeValidator(_ascii_digits)]
#: An id from a path or query: ASCII digits, ``0..MAX_ID``.
PathId = Annotated[int, BeforeValidator(_ascii_digits), Field(ge=0, le=MAX_ID)]
#: An id in a JSON body: a JSON integer, ``0..MAX_ID``.
BodyId = Annotated[int, Field(strict=True, ge=0, le=MAX_ID)]


def _refuse(message: str, path: str) -> ValidationError:
    return ValidationError(
        f"the JSON body is refused at {path}: {message}",
        code="invalid_json",
        details={"path": path},
    )


def _no_constants(name: str) -> Any:
    raise _refuse(f"{name} is not JSON", "$")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _refuse(f"the number {text[:40]} is too large for a double", "$")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise _refuse(f"the key {twice!r} appears twice in one object", "$")
    return result


def _check_text(text: str, path: str) -> None:
    if "\x00" in text:
        raise _refuse("a NUL character (U+0000) cannot be stored", path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _refuse("a lone surrogate is not Unicode text", path) from None


def strict_json(body: bytes) -> Any:
    """``body`` parsed as strict JSON (see the module doc); raises :class:`ValidationError`."""
    try:
        text = body.decode("utf-8")  # RFC 8259 8.1: JSON text is UTF-8
    except UnicodeDecodeError as exc:
        raise _refuse(f"not UTF-8 (byte {exc.start})", "$") from None
    try:
        value = json.loads(
            text, parse_constant=_no_constants, parse_float=_finite, object_pairs_hook=_unique_keys
        )
    except json.JSONDecodeError as exc:
        raise _refuse(f"not JSON ({exc.msg}, line {exc.lineno} column {exc.colno})", "$") from None
    except RecursionError:
        raise _refuse(f"nested deeper than {_MAX_DEPTH} levels", "$") from None
    stack: list[tuple[Any, str, int]] = [(value, "$", 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise _refuse(f"nested deeper than {_MAX_DEPTH} levels", path)
        if isinstance(item, str):
            _check_text(item, path)
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_text(key, path)
                stack.append((child, f"{path}.{key}", depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
    return value


def _check_request_text(request: Request) -> None:
    named = [(f"path parameter {k}", v) for k, v in request.path_params.items()]
    named += [(f"query parameter {k}", f"{k}={v}") for k, v in request.query_params.multi_items()]
    for where, text in named:
        if isinstance(text, str) and "\x00" in text:
            raise ValidationError(
                f"the {where} holds a NUL character (U+0000), which cannot be stored",
                code="nul_character",
                details={"where": where},
            )


_Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class StrictRoute(APIRoute):
    """An :class:`APIRoute` that checks path, query and JSON body text first (module doc)."""

    def get_route_handler(self) -> _Handler:
        route_handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            _check_request_text(request)
            media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type == "application/json":
                body = await request.body()
                if body:
                    # Starlette's Request.json() returns this cached value: FastAPI reads it.
                    request._json = strict_json(body)
            return await route_handler(request)

        return strict_handler
