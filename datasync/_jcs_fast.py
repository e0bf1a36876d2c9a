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

Chunks of rows (:func:`loads_rows_content`): the same answers as :func:`loads_content` for
many lines at once, with one orjson serialization of all the rows and one scan per check over
it, because orjson's serializer costs about 1 µs per call before any work and a byte scan of
one short line is mostly call overhead. Totals prove per-row facts where each row's share is
bounded (colons), matches are mapped back to their rows, and depth is left to orjson's own
recursion limit; rows a chunk-wide check cannot clear get :func:`loads_content`'s answer.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from functools import partial
from typing import Any, Final

import orjson

__all__ = [
    "MISS",
    "canonicalize",
    "canonicalize_parsed",
    "es_number",
    "loads",
    "loads_content",
    "loads_rows_content",
]

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


def loads_content(data: bytes, id_key: str | None) -> tuple[Any, bytes | None] | Any:
    """``(loads(data), content)`` where the fast path vouches for the row, else :data:`MISS`.

    ``content`` is the canonical bytes of ``{"input", "output", "metadata"}`` taken from the
    row when the row is exactly those three objects plus a scalar under ``id_key`` (a key
    sorting before ``"input"``, such as ``"id"``), with no number or key needing care; else
    None, and the caller builds the content and calls :func:`canonicalize_parsed`. One orjson
    parse and one orjson serialization do both jobs. Never raises for bad input.
    """
    try:
        row = orjson.loads(data)
    except (ValueError, TypeError, RecursionError):  # orjson errors subclass these
        return MISS
    return _row_content(data, row, id_key)


def _row_content(data: bytes, row: Any, id_key: str | None) -> tuple[Any, bytes | None] | Any:
    """:func:`loads_content` for ``row``, orjson's parse of ``data``."""
    if type(row) is not dict:
        return MISS
    try:
        dump = orjson.dumps(row, option=_PARSED_DUMP)
    except (TypeError, RecursionError):  # lone surrogates, integers beyond 2**53 - 1
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
    if id_key is None or _E6_FLOAT.search(dump):
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


# --- chunks of rows -------------------------------------------------------------------------
#
# loads_rows_content gives, for each line of a chunk, what loads_content gives for it (with
# the depth judged exactly instead of bounded), but parses each line with one orjson call and
# then serializes the whole chunk with ONE orjson call and scans it ONCE per check: orjson's
# serializer costs about 1 µs per call before any work, and each byte scan of a short line is
# mostly call overhead. Each check is argued to be exact per row in docs/performance.md
# ("Chunks of rows"); rows that a chunk-wide check cannot clear get loads_content's answer.

#: Between rows in a chunk's serialization. orjson writes no raw line feed (it escapes U+000A
#: inside strings), so ``,\n,`` in its output is exactly a row boundary.
_ROW_BREAK: Final = orjson.Fragment(b"\n")
_ROW_SEPARATOR: Final = b",\n,"
#: A chunk whose serialization fails (a row with an integer beyond 2**53 - 1, a lone
#: surrogate, nesting too deep) is halved and retried; rows of halves this small go one by one.
_SMALLEST_SPLIT: Final = 8
_BACKSLASH: Final = ord("\\")
_LOWER_E: Final = ord("e")
#: Lead bytes of 4-byte UTF-8 sequences (characters above U+FFFF); orjson's output is UTF-8.
_FOUR_BYTE_LEADS: Final = (0xF0, 0xF1, 0xF2, 0xF3, 0xF4)
#: ``-6`` closing a number: a superset of _E6_FLOAT's matches (``e-6[,\]}]``), found several
#: times faster because ``-`` is rarer than ``e``; each match is then checked for the ``e``.
_MINUS_6: Final = re.compile(rb"-6[,\]}]")


def _orjson_depth_limit() -> int | None:
    """The most nested arrays/objects ``orjson.dumps`` writes before refusing, or None.

    orjson 3.x writes 254 and refuses 255, counting every array and object alike (empty
    ones included). Measured here, for arrays and for objects, so that a future orjson with
    another limit moves the chunk depth check along or turns it off (None: some probe did not
    behave as a plain limit would).
    """

    def writes(depth: int, kind: type) -> bool:
        value: Any = kind()
        for _ in range(depth - 1):
            value = [value] if kind is list else {"k": value}
        try:
            orjson.dumps(value, option=_PARSED_DUMP)
        except (TypeError, RecursionError):
            return False
        return True

    limits = set()
    for kind in (list, dict):
        low, high = MAX_DEPTH + 1, 4096  # writes(low) and not writes(high), checked first
        if not writes(low, kind) or writes(high, kind):
            return None
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if writes(middle, kind) else (low, middle)
        limits.add(low)
    return limits.pop() if len(limits) == 1 else None


_ORJSON_DEPTH_LIMIT: Final = _orjson_depth_limit()
#: Lists wrapped around a chunk's list of rows so that orjson refuses the serialization
#: exactly when some row nests deeper than MAX_DEPTH: wrappers + the chunk's list + a row's
#: depth must stay within orjson's limit. None: rows are judged one by one (loads_content).
_DEPTH_WRAP: Final = None if _ORJSON_DEPTH_LIMIT is None else _ORJSON_DEPTH_LIMIT - 1 - MAX_DEPTH


def loads_rows_content(lines: Sequence[bytes], id_key: str | None) -> list[Any]:
    """For each of ``lines``: ``(row, content)`` as :func:`loads_content` gives, or :data:`MISS`.

    ``content`` is None for every row when ``id_key`` is None. The answers are those of
    :func:`loads_content` line by line, except that depth is judged exactly (a row at most
    MAX_DEPTH deep is never a miss for the colons and brackets it holds). Never raises for
    bad input.
    """
    if _DEPTH_WRAP is None:
        return [loads_content(line, id_key) for line in lines]
    try:
        rows = list(map(orjson.loads, lines))
    except (ValueError, TypeError, RecursionError):  # orjson errors subclass these
        rows = [_loads_or_miss(line) for line in lines]
    if set(map(type, rows)) == {dict}:
        return _census(lines, rows, id_key, _DEPTH_WRAP)
    picked = [i for i, row in enumerate(rows) if type(row) is dict]
    out: list[Any] = [MISS] * len(lines)  # not an object: the reference decides
    picked_lines = [lines[i] for i in picked]
    picked_rows = [rows[i] for i in picked]
    for i, result in zip(
        picked, _census(picked_lines, picked_rows, id_key, _DEPTH_WRAP), strict=True
    ):
        out[i] = result
    return out


def _loads_or_miss(line: bytes) -> Any:
    try:
        return orjson.loads(line)
    except (ValueError, TypeError, RecursionError):
        return MISS


def _census(
    lines: Sequence[bytes], rows: list[dict[str, Any]], id_key: str | None, wrap: int
) -> list[Any]:
    """:func:`loads_rows_content` for ``rows``, orjson's parses (all objects) of ``lines``."""
    if not rows:
        return []
    chunk: Any = [_ROW_BREAK] * (2 * len(rows))  # each row followed by a break
    chunk[::2] = rows
    for _ in range(wrap):
        chunk = [chunk]
    try:
        dump = orjson.dumps(chunk, option=_PARSED_DUMP)
    except (TypeError, RecursionError):  # some row orjson or the depth limit refuses
        if len(rows) <= _SMALLEST_SPLIT:
            return [_row_content(line, row, id_key) for line, row in zip(lines, rows, strict=True)]
        half = len(rows) // 2
        return _census(lines[:half], rows[:half], id_key, wrap) + _census(
            lines[half:], rows[half:], id_key, wrap
        )
    wants_content = id_key is not None and id_key < "input"
    if wants_content:
        assert id_key is not None  # for mypy
        out, ends = _with_content(rows, dump, wrap + 1, id_key)
    else:
        out, ends = [(row, None) for row in rows], _row_ends(dump, wrap + 1, len(rows))
    row_at = partial(bisect_right, ends)  # the row holding a position of dump
    missed = _missed_members(lines, dump, [wrap + 1 - len(_ROW_SEPARATOR), *ends])
    missed.update(map(row_at, _positions(dump, b"+")))  # floats from 1e16 on: _plain_parse
    plain: set[int] = set()  # rows kept, their content left to canonicalize_parsed
    for match in _INTEGRAL_FLOAT.finditer(dump):
        dot = match.start()
        (missed if _changes_row(dump, dot) else plain).add(row_at(dot))
    if wants_content:
        for match in _MINUS_6.finditer(dump):
            if dump[match.start() - 1] == _LOWER_E:
                plain.add(row_at(match.start()))
        if not dump.isascii():  # characters above U+FFFF: _content_slice leaves those out
            for lead in _FOUR_BYTE_LEADS:
                plain.update(map(row_at, _positions(dump, lead)))
    for i in plain:
        out[i] = (rows[i], None)
    for i in missed:
        out[i] = MISS
    return out


def _with_content(
    rows: list[dict[str, Any]], dump: bytes, first: int, id_key: str
) -> tuple[list[Any], list[int]]:
    """``(row, content)`` per row, content cut from ``dump`` as :func:`_content_slice` cuts it
    (the number and key checks are the caller's), and where each row ends.

    ``dump`` is a chunk's serialization: ``first`` bytes of brackets, then each row followed
    by ``,\\n,`` (the last by ``,\\n``).
    """
    shape = {id_key, "input", "metadata", "output"}
    find = dump.find
    index = dump.index
    out: list[Any] = []
    ends: list[int] = []
    start = first
    for row in rows:
        end = find(b"\n", start) - 1
        if (
            row.keys() == shape
            and type(row["input"]) is dict
            and type(row["metadata"]) is dict
            and type(row["output"]) is dict
            and type(row[id_key]) not in (dict, list)
        ):
            out.append((row, b"{" + dump[index(b'"input":{', start, end) : end]))
        else:
            out.append((row, None))
        ends.append(end)
        start = end + 3
    return out, ends


def _row_ends(dump: bytes, first: int, count: int) -> list[int]:
    """Where each of the ``count`` rows of ``dump`` ends (see :func:`_with_content`)."""
    find = dump.find
    ends: list[int] = []
    start = first
    for _ in range(count):
        end = find(b"\n", start) - 1
        ends.append(end)
        start = end + 3
    return ends


def _positions(data: bytes, needle: bytes | int) -> list[int]:
    """Every position of ``needle`` (a byte, or bytes that cannot overlap) in ``data``."""
    out = []
    find = data.find
    position = find(needle)
    while position >= 0:
        out.append(position)
        position = find(needle, position + 1)
    return out


def _missed_members(lines: Sequence[bytes], dump: bytes, bounds: list[int]) -> set[int]:
    """The rows that may have lost a member to a repeated key (or spell a colon escaped).

    Row ``i`` of ``dump`` lies between ``bounds[i] + 3`` and ``bounds[i + 1]``. Row by row,
    colons(dump) <= colons(line) when the line spells no colon as ``\\u003a``, with equality
    exactly when no member was dropped (:func:`_no_duplicate_keys`). Over the other rows,
    equal totals therefore prove each row's equality; else the rows are compared one by one.
    """
    joined = b"\n".join(lines)
    escaped = []
    if _BACKSLASH in joined:
        escaped = [i for i, line in enumerate(lines) if _BACKSLASH in line and b"\\u003" in line]
    line_colons = joined.count(b":")
    dump_colons = dump.count(b":")  # the wrapping lists and row breaks hold none
    skip = len(_ROW_SEPARATOR)
    for i in escaped:
        line_colons -= lines[i].count(b":")
        dump_colons -= dump.count(b":", bounds[i] + skip, bounds[i + 1])
    missed = set(escaped)
    if line_colons != dump_colons:
        for i, line in enumerate(lines):
            if line.count(b":") != dump.count(b":", bounds[i] + skip, bounds[i + 1]):
                missed.add(i)
    return missed


def _changes_row(dump: bytes, dot: int) -> bool:
    """Whether _ROW_CHANGING_FLOAT matches the number whose ``.0`` starts at ``dump[dot]``.

    ``dump[dot:dot + 3]`` matched _INTEGRAL_FLOAT; the number is ``-0.0`` (``:``, ``,`` or
    ``[`` then ``-0`` before the dot) or has 16 digits before the dot (2**53 <= |x| < 1e16).
    """
    return dump[dot - 3 : dot] in (b":-0", b",-0", b"[-0") or dump[dot - 16 : dot].isdigit()
