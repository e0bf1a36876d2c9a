"""The fast path of content hash v1: orjson where it provably matches the reference.

:mod:`datasync.canonical` asks this module first and uses its answer only when it is not
``None`` / :data:`MISS`; otherwise it runs the reference (strict rules + ``rfc8785``), which
also raises every :class:`~datasync.errors.CanonicalError`. This module never raises one: any
value it is not sure about — refused, odd or merely unusual — is a miss. Why each accepted
case gives the reference's exact bytes (or value) is argued next to the code and in
``docs/performance.md``; ``tests/canonical/test_fast_path.py`` checks it differentially.

Serializing (:func:`canonicalize`): a walk over the value accepts only exact ``dict``,
``list``, ``tuple``, ``str``, ``int``, ``bool``, ``None`` and finite ``float``, at most
``MAX_DEPTH`` deep, and replaces each float by an :class:`orjson.Fragment` holding the
ECMAScript text the reference writes (same algorithm, same ``repr`` digits). orjson then
writes the rest with ``OPT_SORT_KEYS``:

* strings and keys: orjson escapes exactly what RFC 8785 escapes (``"``, ``\\``, U+0000 to
  U+001F with the short forms ``\\b \\t \\n \\f \\r`` and lowercase ``\\u00xx``), everything
  else raw UTF-8 — checked for every code point by the tests. Lone surrogates, non-``str``
  keys and ``str`` subclasses make orjson raise (a miss).
* integers: ``OPT_STRICT_INTEGER`` makes orjson raise beyond ±(2**53 - 1), the range where
  the reference writes the integer's own digits.
* key order: orjson sorts by code point, RFC 8785 by UTF-16 code unit. The two orders agree
  unless a key holds a character above U+FFFF, which shows as a 4-byte UTF-8 sequence in the
  output; then the keys are checked and any such key is a miss.

Parsing (:func:`loads`): orjson parses (it refuses NaN, Infinity, 1e400, lone surrogates,
invalid UTF-8 and a BOM: misses). A walk then applies the reference's other rules: depth,
-0.0 becomes 0.0, integers and floats at or beyond 2**53 are misses (orjson makes floats of
integer literals beyond 64 bits, so the reference must judge those). Duplicate keys, which
orjson silently merges, are ruled out by counting colons (see :func:`_no_duplicate_keys`).
(A byte-level census of the text instead of the walk was measured slower for ~500-byte rows.)
"""

from __future__ import annotations

import re
from typing import Any, Final

import orjson

__all__ = ["MISS", "canonicalize", "es_number", "loads"]

MAX_DEPTH: Final = 128  # canonical.MAX_DEPTH (canonical imports this module, not the reverse)

#: Returned by :func:`loads` when the reference must decide.
MISS: Final[Any] = object()

_SORTED: Final = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER | orjson.OPT_PASSTHROUGH_SUBCLASS
_PLAIN_DUMP: Final = orjson.OPT_PASSTHROUGH_SUBCLASS
_INF: Final = float("inf")
_NON_BMP = re.compile("[\U00010000-\U0010ffff]")
_NON_BMP_BYTES = re.compile(rb"[\xf0-\xf4]")


class _Miss(Exception):
    """Internal: the fast path cannot vouch for this value."""


# --- numbers --------------------------------------------------------------------------------


def es_number(value: float) -> str:
    """ECMAScript ``Number::toString`` of a finite float, exactly as ``rfc8785`` writes it.

    The same algorithm as ``rfc8785._impl._serialize_float`` on the same ``repr`` digits
    (RFC 8785 3.2.2.3): plain decimals for 1e-6 <= |x| < 1e21, otherwise ``d.ddde±x``.
    """
    if value == 0:
        return "0"  # also -0.0
    text = repr(value)
    if "e" not in text:
        # repr writes |x| in [1e-4, 1e16) without exponent; ".0" marks an integer.
        return text[:-2] if text.endswith(".0") else text
    sign = ""
    if text[0] == "-":
        sign, text = "-", text[1:]
    mantissa, _, exp_text = text.partition("e")
    exponent = int(exp_text)
    first, _, last = mantissa.partition(".")
    if last == "0":
        last = ""
    if 0 < exponent < 21:
        # repr only uses an exponent here from 1e16 up: all digits, then zeros.
        digits = first + last
        return sign + digits + "0" * (exponent + 1 - len(digits))
    if -7 < exponent < 0:
        return sign + "0." + "0" * (-exponent - 1) + first + last
    tail = f"e{'+' if exponent > 0 else '-'}{abs(exponent)}"
    return sign + first + ("." + last if last else "") + tail


def _float_fragment(value: float) -> orjson.Fragment:
    if value != value or value in (_INF, -_INF):
        raise _Miss
    return orjson.Fragment(es_number(value))


# --- serializing ----------------------------------------------------------------------------


def _prepare_dict(obj: dict[Any, Any], depth: int) -> dict[Any, Any] | None:
    """A copy of ``obj`` with floats pre-rendered, or None when nothing had to change."""
    if depth > MAX_DEPTH:
        raise _Miss
    out: dict[Any, Any] | None = None
    for key, item in obj.items():
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        new: Any
        if kind is float:
            new = _float_fragment(item)
        elif kind is dict:
            new = _prepare_dict(item, depth + 1)
        elif kind is list or kind is tuple:
            new = _prepare_list(item, depth + 1)
        else:
            raise _Miss
        if new is not None:
            if out is None:
                out = dict(obj)
            out[key] = new
    return out


def _prepare_list(obj: list[Any] | tuple[Any, ...], depth: int) -> list[Any] | None:
    if depth > MAX_DEPTH:
        raise _Miss
    out: list[Any] | None = None
    for index, item in enumerate(obj):
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        new: Any
        if kind is float:
            new = _float_fragment(item)
        elif kind is dict:
            new = _prepare_dict(item, depth + 1)
        elif kind is list or kind is tuple:
            new = _prepare_list(item, depth + 1)
        else:
            raise _Miss
        if new is not None:
            if out is None:
                out = list(obj)
            out[index] = new
    return out


def _prepare(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return _prepare_dict(value, 1) or value
    if kind is list or kind is tuple:
        return _prepare_list(value, 1) or value
    if kind is float:
        return _float_fragment(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    raise _Miss


def _has_non_bmp_key(value: Any) -> bool:
    if type(value) is dict:
        return any(
            (not key.isascii() and _NON_BMP.search(key)) or _has_non_bmp_key(item)
            for key, item in value.items()
        )
    if type(value) is list or type(value) is tuple:
        return any(_has_non_bmp_key(item) for item in value)
    return False


def canonicalize(value: Any) -> bytes | None:
    """RFC 8785 bytes of ``value`` if the fast path can vouch for them, else None.

    Never raises for bad input: refused or unusual values return None (the reference decides).
    """
    try:
        out = orjson.dumps(_prepare(value), option=_SORTED)
    except (_Miss, TypeError, RecursionError):  # orjson.JSONEncodeError is a TypeError
        return None
    # A 4-byte UTF-8 sequence means a character above U+FFFF somewhere; only keys matter.
    if not out.isascii() and _NON_BMP_BYTES.search(out) and _has_non_bmp_key(value):
        return None
    return out


# --- parsing --------------------------------------------------------------------------------


def _no_duplicate_keys(text: bytes, tree: Any) -> bool:
    """Whether the JSON ``text`` that orjson parsed into ``tree`` repeats no key.

    Outside strings, JSON text holds a colon only after each object key, so the colons in
    ``text`` are K (its members, repeats included) plus the colons inside its strings. orjson
    re-serializes ``tree`` with one colon per kept member (P <= K) plus the colons of the kept
    strings, and never escapes a colon. When ``text`` spells no colon as ``\\u003a``, its
    strings hold at least as many colons as the kept ones, so equal counts force K == P: no
    member was dropped, so no key repeated. (A repeat makes the counts differ; then, or when
    ``\\u003`` occurs, the reference decides.)
    """
    if b"\\" in text and b"\\u003" in text:  # one-byte search first: fast, usually absent
        return False
    return text.count(b":") == orjson.dumps(tree, option=_PLAIN_DUMP).count(b":")


def _fix_dict(obj: dict[str, Any], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _Miss
    for key, item in obj.items():
        kind = type(item)
        if kind is float:
            obj[key] = _fix_float(item)
        elif kind is int:
            _check_int(item)
        elif kind is dict:
            _fix_dict(item, depth + 1)
        elif kind is list:
            _fix_list(item, depth + 1)


def _fix_list(obj: list[Any], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _Miss
    for index, item in enumerate(obj):
        kind = type(item)
        if kind is float:
            obj[index] = _fix_float(item)
        elif kind is int:
            _check_int(item)
        elif kind is dict:
            _fix_dict(item, depth + 1)
        elif kind is list:
            _fix_list(item, depth + 1)


def _fix_float(value: float) -> float:
    # orjson turns integer literals beyond 64 bits into floats (>= 2**63 in magnitude); the
    # reference must judge those, so every float at or beyond 2**53 is a miss. Finite below.
    if not -(2.0**53) < value < 2.0**53:
        raise _Miss
    return value + 0.0  # -0.0 becomes 0.0, as in the reference


def _check_int(value: int) -> None:
    # The reference turns ints beyond 2**53 - 1 into floats or refuses them.
    if not -(2**53) < value < 2**53:
        raise _Miss


def loads(text: str | bytes | bytearray | memoryview) -> Any:
    """``loads_strict(text)`` if the fast path can vouch for the result, else :data:`MISS`.

    Never raises for bad input: anything orjson refuses or the checks cannot clear is a miss.
    """
    try:
        data = text.encode() if isinstance(text, str) else bytes(text)
        tree = orjson.loads(data)
        kind = type(tree)
        if kind is dict:
            _fix_dict(tree, 1)
        elif kind is list:
            _fix_list(tree, 1)
        elif kind is float:
            tree = _fix_float(tree)
        elif kind is int:
            _check_int(tree)
        if _no_duplicate_keys(data, tree):
            return tree
    except (_Miss, ValueError, TypeError, RecursionError):  # orjson errors subclass these
        pass
    return MISS
