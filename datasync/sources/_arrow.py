"""Arrow -> JSON: the documented type mapping for Parquet files, Arrow tables and DataFrames.

=========================================  ==============================================
Arrow type                                 JSON value
=========================================  ==============================================
null                                       ``null``
bool                                       ``true`` / ``false``
int8 .. int64, uint8 .. uint64             number (refused unless exactly a double)
float16/32/64                              number (NaN and infinities refused)
decimal128/256                             string, fixed-point with the column's scale
string, large_string, string_view          string
date32, date64                             string ``YYYY-MM-DD``
timestamp with a time zone                 string, RFC 3339 in UTC: ``...T03:04:05.120Z``
timestamp without a time zone              string, the same without ``Z`` (a wall clock)
time32, time64                             string ``HH:MM:SS[.fff]``
list, large_list, fixed_size_list, views   array
struct                                     object (field names must be distinct)
map with string keys                       object (a key twice in one map is refused)
dictionary                                 the decoded value
binary, large_binary, fixed_size_binary    refused, or base64 text with ``binary="base64"``
anything else (duration, interval, union)  refused (``unsupported_type``)
=========================================  ==============================================

Fractions of a second use the fewest of 0, 3, 6 or 9 digits that hold the value exactly,
whatever the unit, so the same instant gives the same text in ``ms`` and ``ns`` columns.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from datasync.canonical import canonicalize, json_path
from datasync.errors import CanonicalError, SourceError
from datasync.sources._mapping import Record

_EPOCH_DATE: Final = dt.date(1970, 1, 1).toordinal()
_EPOCH: Final = dt.datetime(1970, 1, 1)
_PER_SECOND: Final = {"s": 1, "ms": 1000, "us": 10**6, "ns": 10**9}
_EXACT: Final = 2**53
_T = pa.types


class _BadValue(Exception):
    """A value the mapping refuses, at ``index`` of the array being converted."""

    def __init__(self, index: int, code: str, reason: str) -> None:
        super().__init__(reason)
        self.index = index
        self.code = code
        self.reason = reason
        self.path: list[str | int] = []


def _is_binary(t: pa.DataType) -> bool:
    return bool(
        _T.is_binary(t)
        or _T.is_large_binary(t)
        or _T.is_fixed_size_binary(t)
        or _T.is_binary_view(t)
    )


def _is_list(t: pa.DataType) -> bool:
    return bool(
        _T.is_list(t)
        or _T.is_large_list(t)
        or _T.is_fixed_size_list(t)
        or _T.is_list_view(t)
        or _T.is_large_list_view(t)
    )


def _is_plain(t: pa.DataType) -> bool:
    return bool(
        _T.is_null(t)
        or _T.is_boolean(t)
        or _T.is_integer(t)
        or _T.is_floating(t)
        or _T.is_decimal(t)
        or _T.is_string(t)
        or _T.is_large_string(t)
        or _T.is_string_view(t)
        or _T.is_date(t)
        or _T.is_timestamp(t)
        or _T.is_time(t)
    )


def type_problem(t: pa.DataType, path: str, binary: str | None) -> tuple[str, str, str] | None:
    """``(code, path, reason)`` if the mapping refuses type ``t`` at ``path``, else None."""
    if isinstance(t, pa.ExtensionType):
        return "unsupported_type", path, f"extension type {t} has no JSON mapping"
    if _T.is_dictionary(t):
        return type_problem(t.value_type, path, binary)
    if _is_plain(t):
        return None
    if _is_binary(t):
        if binary == "base64":
            return None
        return "binary_column", path, f"{t} column refused (pass binary='base64' to read it)"
    if _is_list(t):
        return type_problem(t.value_type, json_path(path, 0), binary)
    if _T.is_map(t):
        if not (_T.is_string(t.key_type) or _T.is_large_string(t.key_type)):
            return "unsupported_type", path, f"map keys must be strings, not {t.key_type}"
        return type_problem(t.item_type, json_path(path, "*"), binary)
    if _T.is_struct(t):
        names = [t.field(i).name for i in range(t.num_fields)]
        for i, name in enumerate(names):
            if name in names[:i]:
                return "duplicate_key", json_path(path, name), f"struct field {name!r} twice"
            problem = type_problem(t.field(i).type, json_path(path, name), binary)
            if problem:
                return problem
        return None
    return "unsupported_type", path, f"Arrow type {t} has no JSON mapping"


def check_schema(schema: pa.Schema, name: str, binary: str | None) -> None:
    """Refuse (SourceError at ``name``) duplicate columns and types the mapping refuses."""
    seen: set[str] = set()
    for field in schema:
        path = json_path("$", field.name)
        if field.name in seen:
            raise SourceError(
                f"column {field.name!r} appears twice",
                code="duplicate_key",
                location=name,
                details={"path": path},
            )
        seen.add(field.name)
        problem = type_problem(field.type, path, binary)
        if problem:
            code, where, reason = problem
            raise SourceError(
                f"{reason} at {where}", code=code, location=name, details={"path": where}
            )


def _fraction(frac: int, per_second: int) -> str:
    if not frac:
        return ""
    digits = str(frac).rjust(len(str(per_second)) - 1, "0")
    while len(digits) > 3 and digits.endswith("000"):
        digits = digits[:-3]
    return "." + digits


def _timestamps(arr: pa.Array) -> list[Any]:
    per_second = _PER_SECOND[arr.type.unit]
    suffix = "Z" if arr.type.tz else ""
    out: list[Any] = []
    for i, v in enumerate(arr.view(pa.int64()).to_pylist()):
        if v is None:
            out.append(None)
            continue
        secs, frac = divmod(v, per_second)
        try:
            moment = _EPOCH + dt.timedelta(seconds=secs)
        except OverflowError:
            raise _BadValue(i, "value_out_of_range", "timestamp outside years 1..9999") from None
        out.append(moment.isoformat() + _fraction(frac, per_second) + suffix)
    return out


def _times(arr: pa.Array) -> list[Any]:
    per_second = _PER_SECOND[arr.type.unit]
    ints = arr.view(pa.int32() if _T.is_time32(arr.type) else pa.int64()).to_pylist()
    out: list[Any] = []
    for i, v in enumerate(ints):
        if v is None:
            out.append(None)
            continue
        secs, frac = divmod(v, per_second)
        if not 0 <= secs < 86400:
            raise _BadValue(i, "value_out_of_range", "time of day outside 00:00..24:00")
        text = f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
        out.append(text + _fraction(frac, per_second))
    return out


def _dates(arr: pa.Array) -> list[Any]:
    if _T.is_date64(arr.type):
        days = [None if v is None else v // 86_400_000 for v in arr.view(pa.int64()).to_pylist()]
    else:
        days = arr.view(pa.int32()).to_pylist()
    out: list[Any] = []
    for i, d in enumerate(days):
        try:
            out.append(None if d is None else dt.date.fromordinal(_EPOCH_DATE + d).isoformat())
        except (ValueError, OverflowError):
            raise _BadValue(i, "value_out_of_range", "date outside years 1..9999") from None
    return out


def _refuse_by_canonical(values: list[Any], index: int) -> None:
    """Let content hash v1 judge ``values[index]``; raise _BadValue if it refuses it."""
    try:
        canonicalize(values[index])
    except CanonicalError as exc:
        raise _BadValue(index, exc.code, exc.reason) from None


def _numbers(arr: pa.Array) -> list[Any]:
    t = arr.type
    if _T.is_float16(t):
        arr = arr.cast(pa.float64())
    values: list[Any] = arr.to_pylist()
    if _T.is_floating(t):
        bad = pc.index(pc.fill_null(pc.is_finite(arr), True), False).as_py()
        if bad >= 0:
            _refuse_by_canonical(values, bad)
    elif t.bit_width == 64:
        low, high = pc.min_max(arr).values()
        if (low.as_py() or 0) < -_EXACT or (high.as_py() or 0) > _EXACT:
            for i, v in enumerate(values):
                if v is not None and abs(v) > _EXACT:
                    _refuse_by_canonical(values, i)
    return values


def _lists(arr: pa.Array, binary: str | None) -> list[Any]:
    lengths = pc.list_value_length(arr).to_pylist()
    try:
        child = to_json_list(arr.flatten(), binary)
    except _BadValue as exc:
        _relocate(exc, lengths)
        raise
    out: list[Any] = []
    pos = 0
    for n in lengths:
        out.append(None if n is None else child[pos : pos + n])
        pos += n or 0
    return out


def _relocate(exc: _BadValue, lengths: list[int | None]) -> None:
    """Turn a child index into the parent's index plus the position inside it."""
    start = 0
    for i, n in enumerate(lengths):
        if n and exc.index < start + n:
            exc.path.insert(0, exc.index - start)
            exc.index = i
            return
        start += n or 0


def _structs(arr: pa.Array, binary: str | None) -> list[Any]:
    names = [arr.type.field(i).name for i in range(arr.type.num_fields)]
    columns = []
    for name, child in zip(names, arr.flatten(), strict=True):
        try:
            columns.append(to_json_list(child, binary))
        except _BadValue as exc:
            exc.path.insert(0, name)
            raise
    valid = arr.is_valid().to_pylist()
    return (
        [
            dict(zip(names, vals, strict=True)) if ok else None
            for ok, vals in zip(valid, zip(*columns, strict=True), strict=True)
        ]
        if columns
        else [{} if ok else None for ok in valid]
    )


def _maps(arr: pa.Array, binary: str | None) -> list[Any]:
    offsets = arr.offsets.to_pylist()
    keys = arr.keys.to_pylist()
    try:
        items = to_json_list(arr.items, binary)
    except _BadValue as exc:
        row = next(i for i in range(len(arr)) if offsets[i] <= exc.index < offsets[i + 1])
        exc.path.insert(0, keys[exc.index])
        exc.index = row
        raise
    out: list[Any] = []
    for i, ok in enumerate(arr.is_valid().to_pylist()):
        if not ok:
            out.append(None)
            continue
        ks = keys[offsets[i] : offsets[i + 1]]
        entry = dict(zip(ks, items[offsets[i] : offsets[i + 1]], strict=True))
        if len(entry) < len(ks):
            twice = next(k for j, k in enumerate(ks) if k in ks[:j])
            bad = _BadValue(i, "duplicate_key", f"map key {twice!r} appears twice")
            bad.path.append(twice)
            raise bad
        out.append(entry)
    return out


def _binaries(arr: pa.Array) -> list[Any]:
    return [None if b is None else base64.b64encode(b).decode("ascii") for b in arr.to_pylist()]


def _decimals(arr: pa.Array) -> list[Any]:
    return [None if d is None else format(d, "f") for d in arr.to_pylist()]


_SIMPLE: Final[list[tuple[Callable[[pa.DataType], bool], Callable[[pa.Array], list[Any]]]]] = [
    (lambda t: bool(_T.is_integer(t) or _T.is_floating(t)), _numbers),
    (_T.is_timestamp, _timestamps),
    (_T.is_date, _dates),
    (_T.is_time, _times),
    (_T.is_decimal, _decimals),
    (_is_binary, _binaries),
]


def to_json_list(arr: pa.Array, binary: str | None) -> list[Any]:
    """The JSON values of ``arr`` (one per slot). Raises _BadValue for a refused value.

    The type must already have passed :func:`type_problem`.
    """
    t = arr.type
    if _T.is_dictionary(t):
        return to_json_list(arr.dictionary_decode(), binary)
    for test, convert in _SIMPLE:
        if test(t):
            return convert(arr)
    if _is_list(t):
        return _lists(arr, binary)
    if _T.is_struct(t):
        return _structs(arr, binary)
    if _T.is_map(t):
        return _maps(arr, binary)
    values: list[Any] = arr.to_pylist()  # null, bool, strings
    return values


def arrow_records(
    batches: Iterable[pa.RecordBatch], name: str, binary: str | None
) -> Iterator[Record]:
    """Rows of record batches as JSON objects, positioned by 0-based row number.

    A batch holding a refused value yields that value's SourceError (``name row N`` and its
    JSON path) instead of its rows.
    """
    start = 0
    for batch in batches:
        names = batch.schema.names
        columns: list[list[Any]] = []
        problems: list[SourceError] = []
        for column_name, column in zip(names, batch.columns, strict=True):
            try:
                columns.append(to_json_list(column, binary))
            except _BadValue as exc:
                path = json_path("$", column_name)
                for part in exc.path:
                    path = json_path(path, part)
                problems.append(
                    SourceError(
                        f"{exc.reason} at {path}",
                        code=exc.code,
                        location=f"{name} row {start + exc.index}",
                        details={"path": path},
                    )
                )
        if problems:
            yield from problems
        else:
            for i, values in enumerate(zip(*columns, strict=True)):
                yield start + i, dict(zip(names, values, strict=True))
            if not columns:
                for i in range(batch.num_rows):
                    yield start + i, {}
        start += batch.num_rows
