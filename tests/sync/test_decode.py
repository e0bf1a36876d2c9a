"""decode_operation_lines: the server's per-line commit work, equal to the in-process path."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datasync.canonical import content_hash, loads_strict
from datasync.errors import CanonicalError, HashMismatchError
from datasync.sync import ChangeKind, DecodedOperation, LineFailure, decode_operation_lines

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53) + 1, 2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)
objects = st.dictionaries(st.text(max_size=5), values, max_size=4)


def line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


@settings(max_examples=300, deadline=None)
@given(objects, objects, objects)
def test_hash_and_texts_equal_the_in_process_path(inp: Any, out: Any, meta: Any) -> None:
    text = line({"op": "create", "source_id": "s", "hash": "0" * 64, "input": inp,
                 "output": out, "metadata": meta})  # fmt: skip
    parsed = loads_strict(text)  # what the in-process path stores and hashes
    result = decode_operation_lines([(2, text)])
    assert isinstance(result, list) and len(result) == 1
    decoded = result[0]
    parts = (parsed["input"], parsed["output"], parsed["metadata"])
    assert decoded.computed == content_hash(*parts)
    stored = (decoded.input, decoded.output, decoded.metadata)
    assert tuple(loads_strict(t) for t in stored if t is not None) == parts
    with pytest.raises(HashMismatchError) as info:
        decoded.checked_hash()  # the line claims zeros
    assert info.value.details["expected"] == decoded.computed


def test_kinds_and_defaults() -> None:
    h = content_hash({"q": 1}, {}, {})
    lines = [
        (2, line({"op": "create", "source_id": "a", "hash": h, "input": {"q": 1}})),
        (3, line({"op": "patch", "source_id": "b", "hash": h, "input": {"q": 1}})),
        (5, line({"op": "delete", "source_id": "c"})),
    ]
    result = decode_operation_lines(lines)
    assert isinstance(result, list)
    assert [(d.kind, d.source_id) for d in result] == [
        (ChangeKind.CREATE, "a"),
        (ChangeKind.PATCH, "b"),
        (ChangeKind.DELETE, "c"),
    ]
    assert [d.checked_hash() for d in result[:2]] == [h, h]
    assert (result[0].output, result[0].metadata) == ("{}", "{}")
    assert (result[2].input, result[2].hash) == (None, None)


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (b'{"op": "create", "source_id": ', "invalid_ndjson"),
        (b'{"op": "create", "source_id": "x", "source_id": "y"}', "invalid_ndjson"),
        (b'{"op": "create", "source_id": "x", "hash": "0", "input": {}}', "bad_operation"),
        (b'{"op": "upsert", "source_id": "x"}', "bad_operation"),
        (b'{"op": "delete", "source_id": "x", "input": {}}', "unknown_field"),
    ],
)
def test_a_bad_line_stops_decoding_and_names_its_line(bad: bytes, code: str) -> None:
    good = line({"op": "delete", "source_id": "a"})
    result = decode_operation_lines([(2, good), (7, bad), (8, good)])
    assert isinstance(result, tuple)
    decoded, failure = result
    assert [d.source_id for d in decoded] == ["a"]
    assert isinstance(failure, LineFailure) and failure.code == code
    assert failure.details["line"] == 7
    error = failure.error()
    assert error.code == code and "line 7" in error.message


def test_a_refusal_is_raised_where_the_hash_is_checked_naming_the_example() -> None:
    refused = DecodedOperation(
        ChangeKind.CREATE, "e1", "0" * 64, "{}", "{}", "{}",
        refusal=("depth_exceeded", "$.input", "nested too deep", {}),
    )  # fmt: skip
    with pytest.raises(CanonicalError) as info:
        refused.checked_hash()
    assert (info.value.code, info.value.path) == ("depth_exceeded", "$.input")
    assert info.value.details["source_id"] == "e1" and "'e1'" in info.value.message


def test_big_integer_literals_are_stored_as_the_parser_reads_them() -> None:
    # 2**60 as JCS writes it, and 1e20 in digits: exact doubles, which the parser accepts
    inp = {"n": 1152921504606847000, "m": 100000000000000000000}
    h = content_hash(inp, {}, {})
    text = b'{"op": "create", "source_id": "a", "hash": "%s", "input": %s}' % (
        h.encode(),
        json.dumps(inp).encode(),
    )
    result = decode_operation_lines([(2, text)])
    assert isinstance(result, list)
    assert result[0].checked_hash() == h
    stored = result[0].input
    assert stored is not None and orjson.loads(stored) == loads_strict(text)["input"]


def compact(kind: str, sid: Any, h: str, **parts: Any) -> bytes:
    """A line as the Python client writes it (orjson: compact, keys in this order)."""
    return orjson.dumps({"op": kind, "source_id": sid, "hash": h, **parts})


def one_by_one(lines: list[tuple[int, bytes]]) -> Any:
    """decode_operation_lines without the compact fast path: every line alone and spaced."""
    spaced = [(n, json.dumps(json.loads(raw)).encode()) if _parses(raw) else (n, raw)
              for n, raw in lines]  # fmt: skip
    out: list[DecodedOperation] = []
    for number, raw in spaced:
        result = decode_operation_lines([(number, raw)])
        if isinstance(result, tuple):
            return out + result[0], result[1]
        out.extend(result)
    return out


def _parses(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except ValueError:
        return False
    return b"\\ud" not in raw.lower()  # keep escapes of surrogates as they were written


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(objects, objects, objects, st.text(min_size=0, max_size=6)), max_size=70))
def test_compact_lines_decode_as_the_same_operations(rows: list[Any]) -> None:
    lines = [
        (n, compact("create" if n % 2 else "patch", sid, content_hash(i, o, m), input=i,
                    output=o, metadata=m))
        for n, (i, o, m, sid) in enumerate(rows, 2)
    ]  # fmt: skip
    assert decode_operation_lines(lines) == one_by_one(lines)


HEAD = b'{"op":"create","source_id":"a","hash":"' + b"0" * 64 + b'",'
TRICKY = [
    compact("create", "a", "0" * 64, input={"q": 1}, output={}, metadata={}),
    compact("create", "", "0" * 64, input={"q": 1}, output={}, metadata={}),
    compact("create", "é", "0" * 64, input={"q": 1}, output={}, metadata={}),
    compact("create", "x" * 1025, "0" * 64, input={"q": 1}, output={}, metadata={}),
    compact("create", 'q"\\u', "0" * 64, input={"q": 1}, output={}, metadata={}),
    compact("create", "a", "0" * 64, input={"q": 1}, output=[], metadata={}),
    compact("create", "a", "0" * 64, input={"q": 1}, output={}),
    compact("create", "a", "0" * 64, input={"q": 1}, output={}, metadata={}, op="patch"),
    compact("create", "a", "0" * 64, input={"q": 1}, output={}, metadata={}, source_id2=1),
    compact("create", "a", "0" * 64, input={"q": 1.0, "n": -0.0}, output={}, metadata={}),
    compact("create", "a", "0" * 64, input={"deep": [[[[[[1]]]]]]}, output={}, metadata={}),
    compact("upsert", "a", "0" * 64, input={"q": 1}, output={}, metadata={}),
    compact("patch", "a", "A" * 64, input={"q": 1}, output={}, metadata={}),
    HEAD + b'"input":{"q":1,"q":2}}',
    HEAD + b'"input":{},"op":"patch"}',
    b'{"op":"create","source_id":"\\ud800","hash":"' + b"0" * 64 + b'","input":{}}',
    HEAD + b'"input":{"n":1e400}}',
    HEAD + b'"input":{"n":NaN}}',
    HEAD + b'"input":{"n":2}',
    HEAD + b'"input":{"n":123456789012345678901}}',
    HEAD + b'"input":' + b"[" * 130 + b"]" * 130 + b"}",
    compact("delete", "a", "0" * 64),
    b'{"op":"delete","source_id":"a"}',
]  # fmt: skip


@pytest.mark.parametrize("index", range(len(TRICKY)))
def test_tricky_compact_lines_decode_as_the_general_path_does(index: int) -> None:
    good = compact("create", "g", content_hash({"q": 1}, {}, {}), input={"q": 1}, output={},
                   metadata={})  # fmt: skip
    lines = [(2, good), (3, TRICKY[index]), (4, good)]
    general: Any = []
    for number, raw in lines:  # every line alone, outside any batch
        try:
            general.append(_decode_one(number, raw))
        except Exception as exc:  # the first failure ends the decoding
            general = (general, exc)
            break
    got = decode_operation_lines(lines)
    if isinstance(general, tuple):
        assert isinstance(got, tuple)
        assert got[0] == general[0]
        assert (got[1].code, got[1].details) == (general[1].code, dict(general[1].details))
    else:
        assert got == general


def _decode_one(number: int, raw: bytes) -> DecodedOperation:
    from datasync.sync.decode import _decode

    return _decode(number, raw)
