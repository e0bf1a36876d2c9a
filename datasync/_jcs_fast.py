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
invalid UTF-8 and a BOM: misses). The reference's other rules are then checked on bytes, at
C speed, without walking the tree (:func:`_plain_parse`): duplicate keys by counting colons,
depth by counting colons and ``[``, numbers on orjson's re-serialization of the tree (no
integer beyond ±(2**53 - 1), no integer-valued float such as ``-0.0`` or ``2**64``). When a
check cannot clear the text, a walk applies the rules one by one: -0.0 becomes 0.0, integers
and floats at or beyond 2**53 are misses (orjson makes floats of integer literals beyond 64
bits, so the reference must judge those), depth.

Serializing parsed values (:func:`canonicalize_parsed`, :func:`loads_content`): values that
come from the parser hold only ``dict``, ``list``, ``str``, ``int``, ``float``, ``bool`` and
``None``, so orjson can write them directly; its output is then checked for the only number
forms in which orjson's text differs from ECMAScript's (see :func:`_es_numbers_only`), and
only values that hold one take the float-rendering walk.
"""

from __future__ import annotations

import re
from typing import Any, Final

import orjson

__all__ = ["MISS", "canonicalize", "canonicalize_parsed", "es_number", "loads", "loads_content"]

MAX_DEPTH: Final = 128  # canonical.MAX_DEPTH (canonical imports this module, not the reverse)

#: Returned by :func:`loads` when the reference must decide.
MISS: Final[Any] = object()

_SORTED: Final = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER | orjson.OPT_PASSTHROUGH_SUBCLASS
_PLAIN_DUMP: Final = orjson.OPT_PASSTHROUGH_SUBCLASS
_STRICT_DUMP: Final = orjson.OPT_STRICT_INTEGER | orjson.OPT_PASSTHROUGH_SUBCLASS
_INF: Final = float("inf")
_NON_BMP = re.compile("[\U00010000-\U0010ffff]")
_NON_BMP_BYTES = re.compile(rb"[\xf0-\xf4]")
#: orjson's serialization of anything that came out of orjson.loads: sorted keys, and raising
#: (a miss) for integers beyond ±(2**53 - 1). Passing subclasses, dataclasses and datetimes
#: through to a missing ``default`` makes those raise too (belt and braces: parsed values
#: never hold them).
_PARSED_DUMP: Final = _SORTED | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
# Number tokens that orjson writes differently from ECMAScript ``Number::toString``, as they
# end inside a container (there a number is always followed by ``,``, ``]`` or ``}``):
#
# * integer-valued floats below 1e16, which orjson writes ``100.0`` / ``-0.0`` (ES: ``100``
#   / ``0``): _INTEGRAL_FLOAT;
# * 1e-6 <= |x| < 1e-5, which orjson writes ``1.5e-6`` (ES: ``0.0000015``): _E6_FLOAT;
# * every float of at least 1e16, which orjson writes with ``e+`` (ES writes the digits up to
#   1e21): any ``+`` byte (a one-byte search, fast).
#
# Every other float text of orjson equals ECMAScript's: both are the shortest round-trip
# digits, placed alike (plain decimals from 1e-5 to 1e16, ``d.ddde-x`` below 1e-6, ``d.ddde+x``
# from 1e21); tests/canonical/test_fast_path.py checks this on millions of doubles. A match
# inside a string is a false alarm only: the value then takes the float-rendering walk. (Two
# regular expressions with a literal prefix each are several times faster than one with an
# alternation.)
_INTEGRAL_FLOAT = re.compile(rb"\.0[,\]}]")
_E6_FLOAT = re.compile(rb"e-6[,\]}]")
# Integer-valued floats that the reference's parser changes or refuses: -0.0 (made 0.0) and
# 2**53 <= |x| < 1e16 (16 digits; larger ones are written with ``e+``).
_ROW_CHANGING_FLOAT = re.compile(rb"[:,\[]-0\.0[,\]}]|[0-9]{16}\.0[,\]}]")


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


# --- serializing parsed values ---------------------------------------------------------------


def _es_numbers_only(out: bytes) -> bool:
    """Whether orjson's output ``out`` of a container writes every number as ECMAScript does."""
    return b"+" not in out and not _INTEGRAL_FLOAT.search(out) and not _E6_FLOAT.search(out)


def _shallow_enough(text: bytes, colons: int) -> bool:
    """Whether the JSON ``text``, which holds ``colons`` colons, nests at most MAX_DEPTH deep.

    Along the deepest chain of containers each one but the last holds the next: an object
    through a member, written with a colon, an array after its ``[``. So the depth is at most
    colons + ``[`` + 1 (colons and brackets inside strings only raise that bound).
    """
    return colons + text.count(b"[") < MAX_DEPTH


def canonicalize_parsed(value: Any) -> bytes | None:
    """:func:`canonicalize` for a value made only of what the strict parser returns.

    ``value`` must hold nothing but ``dict`` with ``str`` keys, ``list``, ``str``, ``int``,
    finite ``float``, ``bool`` and ``None`` (anything built from ``loads_strict`` results is):
    orjson natively writes UUIDs, enums and Fragments, which the reference refuses, and NaN as
    ``null``. orjson then writes the value directly; only a value whose output holds a number
    orjson writes differently from ECMAScript, or that may nest too deep, takes the walk of
    :func:`canonicalize`. Never raises for bad input (returns None: the reference decides).
    """
    if type(value) is not dict:
        return canonicalize(value)
    try:
        out = orjson.dumps(value, option=_PARSED_DUMP)
    except (TypeError, RecursionError):  # lone surrogates, integers beyond 2**53 - 1
        return None
    if not (_es_numbers_only(out) and _shallow_enough(out, out.count(b":"))):
        return canonicalize(value)
    if not out.isascii() and _NON_BMP_BYTES.search(out) and _has_non_bmp_key(value):
        return None
    return out


def _content_slice(row: dict[str, Any], dump: bytes, id_key: str) -> bytes | None:
    """The canonical bytes of ``row`` without its ``id_key`` member, cut from ``dump``.

    ``dump`` is orjson's sorted serialization of ``row``, cleared by :func:`_plain_parse` and
    holding no number orjson writes differently from ECMAScript. When the row is exactly
    ``{id_key: scalar, "input": {...}, "metadata": {...}, "output": {...}}`` and ``id_key``
    sorts first, ``dump`` is ``{`` + the id member + ``,"input":{...},"metadata":{...},
    "output":{...}}``, and the first ``"input":{`` in it starts the second member: the id
    member holds no object, and inside a JSON string every ``"`` is escaped. Otherwise (or
    when a key may hold a character above U+FFFF) None.
    """
    if (
        len(row) != 4
        or not id_key < "input"
        or id_key not in row
        or type(row.get("input")) is not dict
        or type(row.get("metadata")) is not dict
        or type(row.get("output")) is not dict
        or type(row[id_key]) in (dict, list)
        or (not dump.isascii() and _NON_BMP_BYTES.search(dump))
    ):
        return None
    return b"{" + dump[dump.index(b'"input":{') :]


def loads_content(data: bytes, id_key: str) -> tuple[Any, bytes | None] | Any:
    """``(loads(data), content)`` where the fast path vouches for the row, else :data:`MISS`.

    ``content`` is the canonical bytes of ``{"input", "output", "metadata"}`` taken from the
    row when the row is exactly those three objects plus a scalar under ``id_key`` (a key
    sorting before ``"input"``, such as ``"id"``), with no number or key needing care; else
    None, and the caller builds the content and calls :func:`canonicalize_parsed`. One orjson
    parse and one orjson serialization do both jobs. Never raises for bad input.
    """
    try:
        row = orjson.loads(data)
        if type(row) is not dict:
            return MISS
        dump = orjson.dumps(row, option=_PARSED_DUMP)
    except (ValueError, TypeError, RecursionError):  # orjson errors subclass these
        return MISS
    colons = dump.count(b":")
    if (
        colons != data.count(b":")
        or (b"\\" in data and b"\\u003" in data)
        or not _shallow_enough(data, colons)
        or b"+" in dump
    ):
        return MISS
    if _INTEGRAL_FLOAT.search(dump):  # see _plain_parse
        return MISS if _ROW_CHANGING_FLOAT.search(dump) else (row, None)
    if _E6_FLOAT.search(dump):
        return row, None
    return row, _content_slice(row, dump, id_key)


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


def _plain_parse(data: bytes, dump: bytes) -> bool:
    """Whether orjson's parse of ``data`` is already what the reference returns.

    ``dump`` is orjson's serialization of that parse, a ``dict`` or ``list``, under
    ``OPT_STRICT_INTEGER`` (so no integer in it is beyond ±(2**53 - 1), the range the reference
    keeps as is). True when, all checked on bytes:

    * no key repeats: the colon counts agree and no colon is escaped
      (see :func:`_no_duplicate_keys`);
    * it nests at most MAX_DEPTH deep (see :func:`_shallow_enough`);
    * no float is -0.0 (which the reference makes 0.0) and none is at or beyond 2**53
      (integer literals orjson made floats): orjson writes integer-valued floats as ``N.0``
      below 1e16 and with ``e+`` from there, so without ``+`` and ``.0`` closing a number
      there is no integer-valued float at all, and where ``.0`` closes one it must not be
      ``-0.0`` nor have 16 digits (2**53 to 1e16).

    Then the walk of :func:`_fix_dict` would change nothing and miss nothing.
    """
    colons = dump.count(b":")
    return (
        colons == data.count(b":")
        and not (b"\\" in data and b"\\u003" in data)
        and _shallow_enough(data, colons)
        and b"+" not in dump
        and (not _INTEGRAL_FLOAT.search(dump) or not _ROW_CHANGING_FLOAT.search(dump))
    )


def loads(text: str | bytes | bytearray | memoryview) -> Any:
    """``loads_strict(text)`` if the fast path can vouch for the result, else :data:`MISS`.

    Never raises for bad input: anything orjson refuses or the checks cannot clear is a miss.
    """
    try:
        data = text.encode() if isinstance(text, str) else bytes(text)
        tree = orjson.loads(data)
        kind = type(tree)
        if (kind is dict or kind is list) and _plain_parse(
            data, orjson.dumps(tree, option=_STRICT_DUMP)
        ):
            return tree
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
