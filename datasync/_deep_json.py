"""An iterative JSON decoder, for texts nested too deeply for the stdlib's recursive one.

``json.JSONDecoder`` recurses once per nesting level and raises ``RecursionError`` near
Python's recursion limit (about 1,000 levels), before any of our checks have run. This decoder
takes the same hooks and builds the same values without recursion, so ``loads_strict`` can still
report the first error in document order (a syntax error first, then the first refused value),
exactly as it does for shallower texts and as the TypeScript twin does. It is only used after a
``RecursionError``; the stdlib's C decoder stays the fast path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from json import JSONDecodeError
from json.decoder import scanstring  # type: ignore[attr-defined]  # C-accelerated, untyped
from typing import Any

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_CONSTANTS = ("NaN", "-Infinity", "Infinity")


def decode(
    text: str,
    *,
    parse_int: Callable[[str], Any],
    parse_float: Callable[[str], Any],
    parse_constant: Callable[[str], Any],
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any],
) -> Any:
    """Decode ``text`` like ``json.JSONDecoder(...hooks).decode`` does, at any depth.

    Raises ``json.JSONDecodeError`` for syntax errors.
    """
    # Each open container is [is_object, items, pending_key].
    stack: list[list[Any]] = []
    pos = _WS.match(text, 0).end()  # type: ignore[union-attr]
    while True:
        ch = text[pos : pos + 1]
        if ch == "{" or ch == "[":
            pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
            closer = "}" if ch == "{" else "]"
            if text.startswith(closer, pos):
                value: Any = object_pairs_hook([]) if ch == "{" else []
                pos += 1
            else:
                key = None
                if ch == "{":
                    key, pos = _key(text, pos)
                stack.append([ch == "{", [], key])
                continue
        else:
            value, pos = _scalar(text, pos, parse_int, parse_float, parse_constant)
        # A value is complete: attach it, closing every container that ends here.
        while True:
            if not stack:
                end = _WS.match(text, pos).end()  # type: ignore[union-attr]
                if end != len(text):
                    raise JSONDecodeError("Extra data", text, end)
                return value
            frame = stack[-1]
            frame[1].append((frame[2], value) if frame[0] else value)
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            ch = text[pos : pos + 1]
            if ch == ",":
                pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
                if frame[0]:
                    frame[2], pos = _key(text, pos)
                break
            if ch == ("}" if frame[0] else "]"):
                stack.pop()
                value = object_pairs_hook(frame[1]) if frame[0] else frame[1]
                pos += 1
                continue
            raise JSONDecodeError("Expecting ',' delimiter", text, pos)


def _key(text: str, pos: int) -> tuple[str, int]:
    """Read ``"key" :`` at ``pos`` and return the key and the position of its value."""
    if not text.startswith('"', pos):
        raise JSONDecodeError("Expecting property name enclosed in double quotes", text, pos)
    key, pos = scanstring(text, pos + 1, True)
    pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
    if not text.startswith(":", pos):
        raise JSONDecodeError("Expecting ':' delimiter", text, pos)
    return key, _WS.match(text, pos + 1).end()  # type: ignore[union-attr]


def _scalar(
    text: str,
    pos: int,
    parse_int: Callable[[str], Any],
    parse_float: Callable[[str], Any],
    parse_constant: Callable[[str], Any],
) -> tuple[Any, int]:
    if text.startswith('"', pos):
        string, end = scanstring(text, pos + 1, True)
        return str(string), int(end)
    for word, value in (("null", None), ("true", True), ("false", False)):
        if text.startswith(word, pos):
            return value, pos + len(word)
    for word in _CONSTANTS:
        if text.startswith(word, pos):
            return parse_constant(word), pos + len(word)
    match = _NUMBER.match(text, pos)
    if match is None:
        raise JSONDecodeError("Expecting value", text, pos)
    integer, frac, exp = match.groups()
    if frac or exp:
        return parse_float(integer + (frac or "") + (exp or "")), match.end()
    return parse_int(integer), match.end()
