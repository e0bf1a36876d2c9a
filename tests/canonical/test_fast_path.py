"""The fast path (orjson) against the reference (strict rules + rfc8785), differentially.

Every value or JSON text goes through both; they must agree on the bytes or value, or on the
refusal (same CanonicalError code, path and message). The big test runs 20,000 generated
examples per run; the golden vectors go through both paths too.
"""

from __future__ import annotations

import functools
import json
import math
import random
import struct
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from datasync import _jcs_fast, canonical
from datasync._jcs_fast import es_number
from datasync.errors import CanonicalError

VECTORS = Path(__file__).resolve().parents[2] / "golden_vectors"
Outcome = tuple[str, Any, Any]


def _outcome(fn: Any, arg: Any) -> Outcome:
    try:
        return ("ok", fn(arg), None)
    except CanonicalError as exc:
        return ("refused", exc.code, exc.message)


def _same_value(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (1 == 1.0 is not enough here)."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return list(a) == list(b) and all(_same_value(a[k], b[k]) for k in a)
    if type(a) is list:
        return len(a) == len(b) and all(map(_same_value, a, b))
    return bool(a == b)


def assert_canonicalize_agrees(value: Any) -> None:
    fast = _outcome(canonical.canonicalize, value)
    ref = _outcome(canonical._reference_canonicalize, value)
    assert fast == ref, (value, fast, ref)


def assert_row_content_agrees(text: bytes, id_key: str = "id") -> None:
    """loads_row_content (and canonical_content_parsed) give the reference's row and bytes."""
    ref = _outcome(canonical._reference_loads_strict, text)
    try:
        row, content = canonical.loads_row_content(text, id_key)
    except CanonicalError as exc:
        assert ref == ("refused", exc.code, exc.message), (text, ref)
        return
    assert ref[0] == "ok" and _same_value(row, ref[1]), (text, row, ref)
    if type(row) is not dict or not all(type(row.get(k, {})) is dict for k in PARTS):
        assert content is None
        return
    parts = [row.get(k) for k in PARTS]
    expected = _outcome(lambda p: canonical._reference_canonicalize(canonical._content(*p)), parts)
    assert _outcome(lambda p: canonical.canonical_content_parsed(*p), parts) == expected, text
    if content is not None:
        assert ("ok", content, None) == expected, (text, content, expected)


PARTS = ("input", "output", "metadata")


@functools.lru_cache(maxsize=4096)
def _reference_row(text: bytes) -> tuple[Outcome, Outcome | None]:
    """The reference's outcome for a JSONL line, and for its content when it has the shape."""
    ref = _outcome(canonical._reference_loads_strict, text)
    row = ref[1]
    if (
        ref[0] != "ok"
        or type(row) is not dict
        or not all(type(row.get(k, {})) is dict for k in PARTS)
    ):
        return ref, None
    parts = [row.get(k) for k in PARTS]
    content = _outcome(lambda p: canonical._reference_canonicalize(canonical._content(*p)), parts)
    return ref, content


def assert_rows_content_agree(lines: list[bytes], id_key: str | None = "id") -> list[Any]:
    """loads_rows_content gives, line by line, the reference's row (or refusal) and bytes."""
    results = canonical.loads_rows_content(lines, id_key)
    assert len(results) == len(lines)
    for i, (text, result) in enumerate(zip(lines, results, strict=True)):
        ref, expected = _reference_row(text)
        if isinstance(result, CanonicalError):
            assert ref == ("refused", result.code, result.message), (i, lines, ref)
            continue
        row, content = result
        assert ref[0] == "ok" and _same_value(row, ref[1]), (i, lines, row, ref)
        if content is not None:
            assert id_key is not None and ("ok", content, None) == expected, (i, lines, content)
    return results


def assert_loads_agrees(text: str | bytes) -> None:
    fast = _outcome(canonical.loads_strict, text)
    ref = _outcome(canonical._reference_loads_strict, text)
    assert fast[0] == ref[0] and fast[2] == ref[2], (text, fast, ref)
    assert fast[0] == "refused" or _same_value(fast[1], ref[1]), (text, fast, ref)
    if fast[0] == "refused":
        assert fast[1] == ref[1]


# --- strategies -----------------------------------------------------------------------------

# Characters from everywhere: ASCII controls, escapes, U+2028/2029, DEL, '/', the E000-FFFF
# block, non-BMP (emoji and the top plane) and, rarely, lone surrogates.
SPECIAL_CHARS = st.sampled_from(
    [
        *'"\\/\x00\x01\x08\x09\x0a\x0c\x0d\x1f\x7f\u2028\u2029\ue000\uffff\ufeff',
        *["\U0001f600", "\U00010000", "\U0010ffff", "\ud800", "\udfff"],
    ]
)
# Any code point, lone surrogates included (hypothesis leaves out category Cs by default).
TEXT = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=10),
    st.text(SPECIAL_CHARS, max_size=4),
)
KEYS = st.one_of(st.sampled_from(["a", "b", "input", "\ue000", "\U0001f600", "é"]), TEXT)
INTS = st.one_of(
    st.integers(),
    st.integers(-(2**64), 2**64),
    st.sampled_from([2**53 - 1, 2**53, 2**53 + 1, -(2**53), -(2**53) - 1, 2**60, 2**60 + 1]),
    st.integers(2**53 - 3, 2**53 + 3),
    st.integers(2**60 - 3, 2**60 + 3),
)
FLOATS = st.one_of(
    st.floats(),  # the whole range: subnormals, -0.0, huge, NaN and infinities
    st.floats(allow_nan=False, min_value=-1e22, max_value=1e22),
    st.floats(allow_nan=False, min_value=-1e-5, max_value=1e-5),
    st.sampled_from([0.0, -0.0, 1.0, 1e16, 1e20, 1e21, 1e-6, 1e-7, 5e-324, 2.0**53, 2.0**60]),
)
SCALARS = st.one_of(st.none(), st.booleans(), INTS, FLOATS, TEXT)
# Nesting built from a fixed number of levels: hypothesis' st.recursive is ~3x slower, and
# DEEP covers nesting at and past the depth limit.
LEVEL = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.lists(SCALARS, max_size=2).map(tuple),
    st.dictionaries(KEYS, SCALARS, max_size=3),
)
VALUES = st.one_of(SCALARS, st.lists(LEVEL, max_size=4), st.dictionaries(KEYS, LEVEL, max_size=5))


def _nest(depth: int, leaf: Any) -> Any:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


DEEP = st.builds(_nest, st.integers(120, 135), st.one_of(SCALARS, st.just({}), st.just([])))


def _text(value: Any, style: int) -> str:
    """A JSON text of ``value``: stdlib style, compact UTF-8, or with a key written twice."""
    if style == 0:
        return json.dumps(value)
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if style == 2 and isinstance(value, dict) and value:
        key = next(iter(value))  # repeated: both paths must refuse it as duplicate_key
        text = "{" + json.dumps(key) + ":" + json.dumps(value[key]) + "," + text[1:]
    return text


# Lines that share a chunk with each generated row in the 20,000-example test: good rows,
# look-alikes (number forms and escapes inside strings) and rows the fast path must refuse or
# leave to the reference, so that every chunk-wide shortcut meets its counter-examples.
def _row(input: str, id: str = '"n"') -> bytes:
    return ('{"id": ' + id + ', "input": ' + input + ', "output": {}, "metadata": {}}').encode()


NEIGHBOURS = [
    b'{"id": "ok", "input": {"q": "Why?", "n": [1, 2.5]}, "output": {"a": "x"}, "metadata": {}}',
    _row('{"s": "a.0,b e-6] 1e+5 -0.0, 12345678901234567.0}"}'),  # look-alikes in a string
    _row('{"a": 1, "a": 2}'),  # a repeated key: one colon fewer in orjson's output
    _row('{"k\\u003a": 1, "k": "\\u003A"}'),  # escaped colons: more colons in the output
    _row('{"n": 1.0, "m": 100.0}'),  # integer-valued floats: the content takes the walk
    _row('{"z": -0.0}'),  # the reference makes it 0.0
    _row('{"n": 9007199254740993}'),  # inexact: refused
    _row('{"n": 1152921504606846976}'),  # 2**60: exact, but orjson will not write it
    _row('{"n": 9007199254740992.0, "m": 1e16, "p": 1.5e-6, "q": 1e-7}'),
    _row('{"\\ud800": 1}'),  # a lone surrogate: refused
    _row('{"\\ud83d\\ude00": 1, "\\ue000": 2}'),  # key order differs in UTF-16
    _row('{"e": "\\ud83d\\ude00"}'),
    _row("[" * 125 + "]" * 125),  # depth 126 with the row: accepted
    _row('{"a": ' + "[" * 126 + "]" * 126 + "}"),  # depth 128: accepted
    _row('{"a": ' + "[" * 127 + "]" * 127 + "}"),  # depth 129: refused
    _row("{}", id="7"),
    _row("{}", id="1.0"),
    _row("{}", id='{"input": {}}'),
    b'{"id": "x", "input": {}, "metadata": {}}',
    b'{"id": "x", "input": {}, "output": {}, "metadata": {}, "extra": {"a": [1.0]}}',
    b'{"id": "x", "input": [], "output": {}, "metadata": {}}',
    b"",
    b"  \t",
    b"[1, 2.0]",
    b'"text"',
    b'{"id": "x", "input": {"q": NaN}}',
    b'{"id": "x", "input": {"q": 1}',
    b"\xef\xbb\xbf{}",
    b'{"id": "x", "input": {"q": "\xff"}}',
]


@settings(
    max_examples=20_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    value=st.one_of(VALUES, VALUES, VALUES, DEEP),
    style=st.integers(0, 2),
    raw=st.booleans(),
    neighbours=st.lists(st.sampled_from(NEIGHBOURS), max_size=6),
    at=st.integers(0, 6),
)
def test_fast_path_equals_reference_on_20000_generated_values_and_texts(
    value: Any, style: int, raw: bool, neighbours: list[bytes], at: int
) -> None:
    assert_canonicalize_agrees(value)
    assert_canonicalize_agrees({"input": value, "output": {}, "metadata": {"v": [value]}})
    text = _text(value, style)
    assert_loads_agrees(text.encode("utf-8", "surrogatepass") if raw else text)
    row = {"id": 'e,"1', "input": {"v": value}, "metadata": {"m": [value]}, "output": {}}
    if isinstance(value, dict) and style != 2:
        row["output"] = value
    row_text = _text(row, style).encode("utf-8", "surrogatepass")
    assert_row_content_agrees(row_text)
    # The same row in a chunk (twice, also as the plain value's text) among NEIGHBOURS.
    chunk = [*neighbours]
    chunk.insert(min(at, len(chunk)), row_text)
    chunk.append(text.encode("utf-8", "surrogatepass"))
    chunk.insert(at // 2, row_text)
    assert_rows_content_agree(chunk, "id" if at % 3 else None)


# --- numbers --------------------------------------------------------------------------------


def _random_doubles(n: int, seed: int) -> list[float]:
    rnd = random.Random(seed)
    out = []
    while len(out) < n:
        (f,) = struct.unpack("<d", rnd.getrandbits(64).to_bytes(8, "little"))
        if f == f and f not in (float("inf"), float("-inf")):
            out.append(f)
    return out


def test_number_text_equals_rfc8785_on_random_bit_patterns_and_edges() -> None:
    edges = [5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1e21, 1e20, 1e-6, 1e-7]
    edges += [9007199254740992.0, 0.1, 0.30000000000000004, 123e-20, 1e16, 1.5e16, 100.0]
    powers = [10.0**e for e in range(-323, 309)] + [2.0**e for e in range(-1074, 1024)]
    values = _random_doubles(200_000, 7) + edges + powers
    values += [-v for v in values]
    expected = rfc8785.dumps(values)
    assert ("[" + ",".join(map(_jcs_fast.es_number, values)) + "]").encode() == expected


def test_orjson_float_text_is_ecmascript_text_unless_flagged_on_millions_of_doubles() -> None:
    """The claim behind canonicalize_parsed: orjson's float text equals ECMAScript's unless it
    ends in ``.0`` (integer-valued), ends in ``e-6`` or holds ``e+`` — the forms the fast path
    sends to the float-rendering walk. Checked on random bit patterns (all magnitudes), short
    decimals, integers, values scaled over 1e-8..1e23 and the neighbours of each threshold."""
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(20240611)
    bits = rng.integers(0, 2**64, size=1_500_000, dtype=np.uint64).view(np.float64)
    short = rng.integers(-(10**7), 10**7, size=300_000) / 10.0 ** rng.integers(0, 13, 300_000)
    scaled = rng.random(300_000) * 10.0 ** rng.integers(-8, 24, size=300_000)
    ints = rng.integers(-(2**60), 2**60, size=100_000).astype(np.float64)
    edges = [1e-6, 1e-5, 1e-4, 1e15, 1e16, 1e21, 2.0**53, 5e-324, 1.7976931348623157e300]
    near = [np.nextafter(np.full(200, e), np.full(200, d)) for e in edges for d in (0, np.inf)]
    values = np.concatenate([bits, short, scaled, -scaled, ints, *near])
    values = values[np.isfinite(values)].tolist()
    texts = orjson.dumps(values)[1:-1].split(b",")
    reprs = json.dumps(values)[1:-1].split(", ")  # repr: the shortest round-trip digits
    assert len(texts) == len(reprs) == len(values)
    checked = 0
    for value, text, rep in zip(values, texts, reprs, strict=True):
        if text.endswith((b".0", b"e-6")) or b"e+" in text:
            continue
        checked += 1
        # repr equals ECMAScript's text unless it has an exponent or a ".0" (es_number, which
        # test_number_text_equals_rfc8785... pins to rfc8785, handles those).
        expected = rep if "e" not in rep and not rep.endswith(".0") else es_number(value)
        if text.decode() != expected:
            raise AssertionError((value, text, expected))
    assert checked > 1_000_000


def test_every_integer_valued_float_is_flagged_by_its_orjson_text() -> None:
    """-0.0, 1.0, 2**53 ... are written ``N.0`` below 1e16 and with ``e+`` above: the parse
    fast path relies on it to leave every integer-valued float to the walk."""
    powers = [2.0**e for e in range(1024)] + [10.0**e for e in range(309)]
    values = [0.0, -0.0, *map(float, range(-3000, 3000)), *powers, *[-p for p in powers]]
    values += [float(2**53 + 2 * k) for k in range(-500, 500)]
    for value, text in zip(values, orjson.dumps(values)[1:-1].split(b","), strict=True):
        assert text.endswith(b".0") or b"e+" in text, (value, text)
        if abs(value) < 1e16 and value:
            assert text == str(int(value)).encode() + b".0", (value, text)


@pytest.mark.parametrize(
    "literal",
    [
        "2.4703282292062328e-324",  # halfway to the smallest subnormal: rounds to 5e-324
        "2.4703282292062327e-324",  # just below: rounds to 0
        "1.7976931348623158e308",  # rounds down to the largest double
        "1.7976931348623159e308",  # rounds up to infinity: refused
        "9007199254740993.0",  # a fraction literal takes the nearest double
        "0.1000000000000000055511151231257827021181583404541015625",
        "1e-400",
        "-1e-400",
        "-0",
        "-0.0",
        "1E30",
        "1e+21",
    ],
)
def test_number_literals_parse_as_the_reference_parses_them(literal: str) -> None:
    assert_loads_agrees('{"n":' + literal + "}")
    assert_loads_agrees("[" + literal + "]")


@settings(max_examples=1_000, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=0.0), st.sampled_from([-1, 0, 1]))
def test_long_decimal_literals_at_and_near_halfway_points_parse_alike(f: float, nudge: int) -> None:
    above = math.nextafter(f, math.inf)
    assume(above != math.inf)
    with localcontext() as ctx:
        ctx.prec = 1200  # exact: doubles have at most ~770 significant decimal digits
        mid = (Decimal(f) + Decimal(above)) / 2
        mid += Decimal(nudge).scaleb(mid.adjusted() - 40)
    assert_loads_agrees('{"x":' + format(mid, "e") + "}")
    assert_loads_agrees("[-" + format(mid, "f") + "]")


# --- strings and keys -----------------------------------------------------------------------


def test_every_code_point_is_escaped_like_rfc8785_in_strings_and_keys() -> None:
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    text = "".join(chars)
    assert _jcs_fast.canonicalize(text) == rfc8785.dumps(text)
    keys = {c: i for i, c in enumerate(chars[:70000])}
    assert _jcs_fast.canonicalize(keys) is None  # holds keys above U+FFFF: left to the reference
    bmp_keys = {c: 0 for c in chars if ord(c) < 0x10000}
    assert _jcs_fast.canonicalize(bmp_keys) == rfc8785.dumps(bmp_keys)


def test_keys_above_u_ffff_next_to_e000_block_sort_by_utf16_units() -> None:
    value = {"\ue000": 1, "\U0001f600": 2, "\uffff": 3, "a": {"\U00010000": 0, "\uff61": 1}}
    assert canonical.canonicalize(value) == rfc8785.dumps(value)
    assert list(json.loads(canonical.canonicalize(value))) == [
        "a",
        "\U0001f600",
        "\ue000",
        "\uffff",
    ]


# --- parsing: duplicates and what orjson cannot see -----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"a":1,"a":2}',
        '{"a":1,"b":{"c":[1,{"d":1,"d":1}]}}',
        '{"a:b":1,"a:b":2}',
        '{"x":"a:b","x":"c"}',
        '{"a\\u003a":1,"a\\u003a":2}',
        '{"a" : 1 , "a" : 1}',
        '{"a":1,"\\u0061":2}',
        '{"":{},"":{}}',
    ],
)
def test_duplicate_keys_are_refused_like_the_reference(text: str) -> None:
    with pytest.raises(CanonicalError) as exc:
        canonical.loads_strict(text)
    assert exc.value.code == "duplicate_key"
    assert_loads_agrees(text)


@pytest.mark.parametrize(
    "text",
    [
        "9007199254740993",
        "[18446744073709551617]",
        '{"n":-9223372036854775809}',
        '{"n":12345678901234567890}',
        '{"n":1152921504606847000}',
        "[9007199254740992, -9007199254740992, 9007199254740991]",
        "NaN",
        '{"a":Infinity}',
        "[1e400]",
        '"\\ud800"',
        '{"\\udc00":1}',
        b'"\xed\xa0\x80"',
        b"\xef\xbb\xbf{}",
        "\ufeff{}",
        "[" * 128 + "]" * 128,
        "[" * 129 + "]" * 129,
        '{"a":' * 128 + "1" + "}" * 128,
        "[" * 2000 + "]" * 2000,
        '["[[[[", ' + "[" * 100 + "]" * 100 + "]",
        ' {\t"a"\r\n:\n[ ] } ',
        '{"a":1} x',
    ],
)
def test_texts_orjson_cannot_judge_alone_are_decided_like_the_reference(text: str | bytes) -> None:
    assert_loads_agrees(text)


# --- values the fast path must leave to the reference ---------------------------------------


class _Str(str):
    def __str__(self) -> str:
        return "other"


@pytest.mark.parametrize(
    "value",
    [
        {_Str("k"): 1},
        {"k": _Str("v")},
        {1: "a"},
        {"a": float("nan")},
        [float("-inf")],
        {"a": 2**60},
        {"a": -(2**53)},
        {"a": True, "b": False, "c": None},
        {"a": b"bytes"},
        {"a": {1, 2}},
        _nest(128, 1),
        _nest(129, 1),
        {"\ud800": 1},
        ["\udfff"],
    ],
)
def test_unusual_values_are_decided_like_the_reference(value: Any) -> None:
    assert_canonicalize_agrees(value)


def test_numpy_and_enum_values_are_decided_like_the_reference() -> None:
    import enum

    np = pytest.importorskip("numpy")

    class Color(enum.Enum):
        RED = 1

    class Level(enum.IntEnum):
        HIGH = 3

    for value in [{"a": np.float32(0.5)}, {"a": np.int64(7)}, {"a": Color.RED}, [Level.HIGH]]:
        assert _jcs_fast.canonicalize(value) is None
        assert_canonicalize_agrees(value)


def test_common_shapes_take_the_fast_path() -> None:
    row = b'{"id":"e1","input":{"q":"Why?","n":3},"output":{"a":"x"},"metadata":{"s":0.5}}'
    plain = b'{"id": "e1", "input": {"q": "Why?", "n": 3}, "metadata": {"tags": ["a", "b"]}}'
    assert _jcs_fast.loads(row) == json.loads(row)
    assert _jcs_fast.loads(plain) == json.loads(plain)
    value = json.loads(row)
    assert _jcs_fast.canonicalize(value) == rfc8785.dumps(value)
    assert _jcs_fast.canonicalize({"e": "\U0001f600 text", "f": [1.5, -0.0, 1e21]}) is not None


def test_the_callers_value_is_not_changed() -> None:
    value = {"a": [1.0, {"b": -0.0}], "c": (0.5,)}
    canonical.canonicalize(value)
    assert value == {"a": [1.0, {"b": -0.0}], "c": (0.5,)}
    assert type(value["a"][0]) is float and str(value["a"][1]["b"]) == "-0.0"


# --- rows with their content bytes (the JSONL hashing path) ---------------------------------


@pytest.mark.parametrize(
    "text",
    [
        b'{"id": "e1", "input": {"q": "Why?"}, "output": {"a": 1}, "metadata": {"s": 0.5}}',
        b'{"id":"a,\\"","input":{"b":[1,{"c":null}]},"output":{},"metadata":{"t":true}}',
        b'{"id": 7, "input": {}, "output": {}, "metadata": {}}',
        b'{"id": "x", "input": {"n": 1.0, "m": 100.0}, "output": {}, "metadata": {}}',
        b'{"id": "x", "input": {"n": -0.0}, "output": {}, "metadata": {}}',
        b'{"id": "x", "input": {"n": 9007199254740992.0}, "output": {}, "metadata": {}}',
        b'{"id": "x", "input": {"n": 9007199254740993}, "output": {}, "metadata": {}}',
        b'{"id": "x", "input": {"n": 18446744073709551617}, "output": {}, "metadata": {}}',
        b'{"id": "x", "input": {"n": 1.5e-6, "o": 1e16, "p": 1e-7}, "output": {}, "metadata": {}}',
        b'{"id": "x", "input": {"s": "a.0,b e-6] 1e+5"}, "output": {}, "metadata": {}}',
        b'{"id": "x", "input": {"\xf0\x9f\x98\x80": 1, "\xee\x80\x80": 2}, "output": {}, '
        b'"metadata": {}}',
        b'{"id": "x", "input": {"a": 1, "a": 2}, "output": {}, "metadata": {}}',
        b'{"id": "x", "input": {"a\\u003a": 1, "a:": 2}, "output": {}, "metadata": {}}',
        b'{"id": "x", "input": {"q": "\\ud800"}, "output": {}, "metadata": {}}',
        b'{"id": "x", "input": {"q": NaN}, "output": {}, "metadata": {}}',
        b'{"id": "x", "input": {}, "metadata": {}}',
        b'{"id": "x", "input": {}, "output": null, "metadata": {}}',
        b'{"id": "x", "input": {}, "output": {}, "metadata": {}, "extra": 1}',
        b'{"uid": "x", "input": {}, "output": {}, "metadata": {}}',
        b'{"id": {"k": 1}, "input": {}, "output": {}, "metadata": {}}',
        b'{"id": "x", "input": [], "output": {}, "metadata": {}}',
        b"[1, 2]",
        b'{"id": "x", "input": ' + b"[" * 126 + b"]" * 126 + b', "output": {}, "metadata": {}}',
        b'{"id": "x", "input": {"a": '
        + b"[" * 126
        + b"]" * 126
        + b'}, "output": {}, "metadata": {}}',
        b'{"id": "x", "input": {"a": '
        + b"[" * 127
        + b"]" * 127
        + b'}, "output": {}, "metadata": {}}',
        b'{"id": "x", "input": {"a": "::::::::::"}, "output": {}, "metadata": {}}',
    ],
)
def test_rows_and_content_bytes_are_the_references(text: bytes) -> None:
    assert_row_content_agrees(text)
    assert_row_content_agrees(text, "uid")


def test_the_common_row_shape_comes_with_its_content_bytes_and_no_walk() -> None:
    text = b'{"id": "q1", "input": {"q": "Why?"}, "output": {"a": "x"}, "metadata": {"s": 0.25}}'
    fast = _jcs_fast.loads_content(text, "id")
    assert fast is not _jcs_fast.MISS
    assert fast[1] == b'{"input":{"q":"Why?"},"metadata":{"s":0.25},"output":{"a":"x"}}'
    # 1.0 is written "1" by JCS: the row is still the parser's, the content takes the walk.
    row, content = canonical.loads_row_content(text.replace(b"0.25", b"1.0"), "id")
    assert content is None and row["metadata"] == {"s": 1.0}
    assert canonical.canonical_content_parsed(row["input"], row["output"], row["metadata"]) == (
        b'{"input":{"q":"Why?"},"metadata":{"s":1},"output":{"a":"x"}}'
    )


# --- chunks of rows (loads_rows_content) ----------------------------------------------------


def _bench_row(i: int, metadata: str = '{"score": 0.25, "tags": ["a"]}') -> bytes:
    text = f'{{"id": "ex-{i}", "input": {{"q": "Why {i}: see below."}}, "output": {{"a": "x"}}, '
    return (text + f'"metadata": {metadata}}}').encode()


def test_every_neighbour_in_one_chunk_and_in_every_rotation_agrees() -> None:
    for shift in range(len(NEIGHBOURS)):
        chunk = NEIGHBOURS[shift:] + NEIGHBOURS[:shift]
        assert_rows_content_agree(chunk)
        assert_rows_content_agree(chunk, None)
        assert_rows_content_agree(chunk, "uid")


def test_a_repeated_key_is_found_when_another_row_escapes_a_colon() -> None:
    """Totals alone would balance here: one row loses a colon, the other gains one."""
    chunk = [_bench_row(1), _row('{"a": 1, "a": 2}'), _row('{"k\\u003a": 1}'), _bench_row(2)]
    results = assert_rows_content_agree(chunk)
    assert isinstance(results[1], CanonicalError) and results[1].code == "duplicate_key"
    assert results[2][0]["input"] == {"k:": 1}


def test_a_clean_chunk_comes_with_all_its_content_bytes() -> None:
    chunk = [_bench_row(i) for i in range(300)]
    results = assert_rows_content_agree(chunk)
    assert all(content is not None for _, content in results)


@pytest.mark.parametrize("where", [0, 1, 63, 127, 128, 299])
@pytest.mark.parametrize(
    ("odd", "fast"),
    [
        ('{"score": 1.0}', "row"),  # integer-valued float: the row, content by the walk
        ('{"score": -0.0}', "miss"),  # the reference changes it to 0.0
        ('{"score": 9007199254740992.0}', "miss"),
        ('{"score": 2e16}', "miss"),  # written with e+ by orjson
        ('{"score": 1.5e-6}', "row"),  # written 1.5e-6 by orjson, 0.0000015 by JCS
        ('{"n": 1152921504606846976}', "miss"),  # orjson refuses to write it: the chunk is halved
        ('{"\\ud83d\\ude00": 1, "\\ue000": 2}', "row"),  # keys sorted by UTF-16 units
        ('{"a": 1, "a": 2}', "miss"),
        ('{"a": ' + "[" * 126 + "]" * 126 + "}", "content"),  # depth 128
        ('{"a": ' + "[" * 127 + "]" * 127 + "}", "miss"),  # depth 129
    ],
)
def test_one_odd_row_anywhere_in_a_chunk_leaves_the_others_on_the_fast_path(
    where: int, odd: str, fast: str
) -> None:
    chunk = [_bench_row(i) for i in range(300)]
    chunk[where] = _bench_row(where, odd)
    assert_rows_content_agree(chunk)
    results = _jcs_fast.loads_rows_content(chunk, "id")
    expected = {"miss": _jcs_fast.MISS, "row": None}.get(fast)
    for i, result in enumerate(results):
        if i != where:
            assert result is not _jcs_fast.MISS and result[1] is not None, i
        elif fast == "content":
            assert result is not _jcs_fast.MISS and result[1] is not None
        elif expected is None:
            assert result is not _jcs_fast.MISS and result[1] is None
        else:
            assert result is expected


def test_orjson_refuses_exactly_the_rows_deeper_than_the_limit_in_a_chunk() -> None:
    """The chunk depth check: wrapped in _DEPTH_WRAP lists, orjson's own recursion limit
    refuses a chunk exactly when a row nests deeper than MAX_DEPTH, arrays or objects."""
    assert _jcs_fast._DEPTH_WRAP is not None  # measured at import: the check is on
    for depth in (126, 127, 128, 129, 130):
        for leaf in ("1", "[]", "{}"):
            inner = leaf
            for level in range(depth - 1 - (leaf != "1")):  # the row is the first level
                inner = "[" + inner + "]" if level % 2 else '{"k": ' + inner + "}"
            chunk = [_bench_row(1), _row(inner), _bench_row(2)]
            results = assert_rows_content_agree(chunk)
            ok = not isinstance(results[1], CanonicalError)
            assert ok == (depth <= 128), (depth, leaf)


def test_without_the_depth_check_rows_are_judged_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_jcs_fast, "_DEPTH_WRAP", None)
    assert_rows_content_agree([*NEIGHBOURS, *[_bench_row(i) for i in range(20)]])


def test_parsed_values_deeper_than_the_limit_are_refused_like_the_reference() -> None:
    for depth in (124, 125, 126, 127):  # content depth 2 + depth: the limit is 128
        value = {"k": _nest(depth, 1)}
        expected = _outcome(canonical._reference_canonicalize, canonical._content(value, {}, {}))
        got = _outcome(canonical.canonical_content_parsed, value)
        assert got == expected, depth
        assert (got[0] == "ok") == (depth <= 126)


# --- golden vectors through both paths ------------------------------------------------------


def _vectors(name: str) -> list[dict[str, str]]:
    path = VECTORS / name
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


VALID = _vectors("valid.jsonl")
INVALID = _vectors("invalid.jsonl")


def _raw(vector: dict[str, str]) -> str | bytes:
    return bytes.fromhex(vector["json_hex"]) if "json_hex" in vector else vector["json"]


def _content(example: Any) -> Any:
    if type(example) is not dict:
        return example
    return {
        "input": example.get("input"),
        "output": example.get("output") or {},
        "metadata": example.get("metadata") or {},
    }


@pytest.mark.skipif(not VALID, reason="golden_vectors/valid.jsonl not written yet")
def test_every_valid_golden_vector_gives_its_bytes_on_both_paths() -> None:
    for vector in VALID:
        raw = _raw(vector)
        for loads in (canonical.loads_strict, canonical._reference_loads_strict):
            example = loads(raw)
            content = _content(example)
            expected = bytes.fromhex(vector["canonical_hex"])
            assert canonical.canonicalize(content) == expected, vector["name"]
            assert canonical._reference_canonicalize(content) == expected, vector["name"]
        assert_loads_agrees(raw)


@pytest.mark.skipif(not INVALID, reason="golden_vectors/invalid.jsonl not written yet")
def test_every_invalid_golden_vector_is_refused_alike_on_both_paths() -> None:
    for vector in INVALID:
        raw = _raw(vector)
        assert_loads_agrees(raw)
        fast = _outcome(lambda r: canonical.canonicalize(_content(canonical.loads_strict(r))), raw)
        ref = _outcome(
            lambda r: canonical._reference_canonicalize(
                _content(canonical._reference_loads_strict(r))
            ),
            raw,
        )
        assert fast == ref, vector["name"]
