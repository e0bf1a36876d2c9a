"""NDJSON records of a commit: operations, examples, headers, tags and names."""

from __future__ import annotations

from typing import Any

import pytest

from datasync.errors import TagError, ValidationError
from datasync.sync import (
    ChangeKind,
    CommitHeader,
    ExampleData,
    Mode,
    Operation,
    parse_example,
    parse_header,
    parse_operation,
    validate_dataset_name,
    validate_tags,
)

H = "c" * 64


def test_operation_round_trips_through_its_wire_form() -> None:
    op = Operation(ChangeKind.PATCH, "ex-1", H, {"q": 1}, {"a": 2}, {"split": "test"})
    assert parse_operation(op.to_wire()) == op
    delete = Operation(ChangeKind.DELETE, "ex-2")
    assert parse_operation(delete.to_wire()) == delete


def test_create_without_output_or_metadata_gets_empty_objects() -> None:
    op = parse_operation({"op": "create", "source_id": "a", "hash": H, "input": {}})
    assert (op.output, op.metadata) == ({}, {})


@pytest.mark.parametrize(
    ("obj", "code", "fragment"),
    [
        ([], "bad_operation", "JSON object"),
        ({"op": "upsert", "source_id": "a"}, "bad_operation", "'upsert'"),
        ({"op": "delete", "source_id": ""}, "invalid_source_id", "non-empty"),
        ({"op": "delete", "source_id": 5}, "invalid_source_id", "non-empty"),
        ({"op": "delete", "source_id": "x" * 1025}, "invalid_source_id", "1025 bytes"),
        ({"op": "delete", "source_id": "\ud800"}, "invalid_source_id", "surrogate"),
        ({"op": "delete", "source_id": "a", "input": {}}, "unknown_field", "input"),
        ({"op": "create", "source_id": "a", "input": {}}, "bad_operation", "hash"),
        ({"op": "create", "source_id": "a", "hash": "AB", "input": {}}, "bad_operation", "hash"),
        ({"op": "patch", "source_id": "a", "hash": H}, "bad_operation", "no input"),
        ({"op": "patch", "source_id": "a", "hash": H, "input": []}, "bad_operation", "object"),
        ({"op": "create", "source_id": "a", "hash": H, "input": {}, "x": 1}, "unknown_field", "x"),
    ],
)
def test_bad_operations_are_refused_with_the_line(obj: Any, code: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_operation(obj, line=7)
    assert info.value.code == code
    assert info.value.message.startswith("line 7: ")
    assert fragment in info.value.message
    assert info.value.details["line"] == 7


def test_example_hash_is_optional_but_checked() -> None:
    ex = parse_example({"source_id": "a", "input": {"q": 1}})
    assert ex == ExampleData("a", {"q": 1})
    assert parse_example(ExampleData("a", {}, hash=H).to_wire()).hash == H
    with pytest.raises(ValidationError):
        parse_example({"source_id": "a", "input": {}, "hash": "nope"})
    with pytest.raises(ValidationError):
        parse_example({"source_id": "a"})


def test_header_round_trips_and_defaults_to_mirror() -> None:
    header = CommitHeader(3, Mode.APPEND, "key-1", "msg", {"env": "ci"})
    assert parse_header(header.to_wire()) == header
    assert parse_header({}) == CommitHeader()


@pytest.mark.parametrize(
    "obj",
    [
        [],
        {"base_version_id": "3"},
        {"base_version_id": True},
        {"idempotency_key": ""},
        {"message": 5},
        {"mode": "sideways"},
        {"extra": 1},
    ],
)
def test_bad_headers_are_refused(obj: Any) -> None:
    with pytest.raises(ValidationError):
        parse_header(obj)


def test_tags_within_limits_are_accepted() -> None:
    assert validate_tags({"team": "ml", "k.v-y_z9": ""}) == {"team": "ml", "k.v-y_z9": ""}


@pytest.mark.parametrize(
    ("tags", "code"),
    [
        ({f"k{i}": "v" for i in range(21)}, "too_many_tags"),
        ({"bad key": "v"}, "invalid_tag"),
        ({"k": 1}, "invalid_tag"),
        ({"k": "v" * 257}, "invalid_tag"),
        ({"datasync.x": "v"}, "reserved_tag"),
        (["k"], "invalid_tag"),
    ],
)
def test_tags_beyond_limits_are_refused(tags: Any, code: str) -> None:
    with pytest.raises(TagError) as info:
        validate_tags(tags)
    assert info.value.code == code


@pytest.mark.parametrize("name", ["", "1abc", "a b", "x" * 129, 5, "a/b"])
def test_bad_dataset_names_are_refused(name: Any) -> None:
    with pytest.raises(ValidationError) as info:
        validate_dataset_name(name)
    assert info.value.code == "invalid_name"


def test_good_dataset_names_are_accepted() -> None:
    assert validate_dataset_name("qa.v2_final-1") == "qa.v2_final-1"


def test_an_encoded_operation_is_the_same_operation_on_the_wire() -> None:
    from datasync.canonical import canonical_content, loads_strict
    from datasync.sync import EncodedOperation, parse_operation

    parts = ({"q": "é\u2028", "n": [1, 2.5, None]}, {"a": True}, {"split": "x", "w": -0.0})
    content = canonical_content(*parts)
    encoded = EncodedOperation(ChangeKind.PATCH, 'id "1"', "ab" * 32, content)
    op = parse_operation(loads_strict(encoded.wire_line()), 2)
    assert op == encoded.operation()
    back = loads_strict(content)
    assert op == Operation(
        ChangeKind.PATCH, 'id "1"', "ab" * 32, back["input"], back["output"], back["metadata"]
    )
    assert (op.input, op.output, op.metadata) == (parts[0], parts[1], {"split": "x", "w": 0})
    with pytest.raises(ValueError):
        EncodedOperation(ChangeKind.CREATE, "x", "ab" * 32, b'{"output":{}}').wire_line()
