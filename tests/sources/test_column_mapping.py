"""Column mapping and source id rules, on in-memory rows (the same code path as files)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from datasync.errors import SourceError, UsageError
from datasync.sources import Example, examples_from_rows


def one(row: dict[str, Any], **kw: Any) -> Example:
    (example,) = examples_from_rows([row], **kw)
    return example


def refusal(rows: list[Any], **kw: Any) -> SourceError:
    with pytest.raises(SourceError) as info:
        list(examples_from_rows(rows, **kw))
    return info.value


def test_shaped_rows_are_taken_as_they_are() -> None:
    row = {"id": "a", "input": {"q": 1}, "output": {"a": 2}, "metadata": {"m": 3}}
    assert one(row, source_id_key="id") == Example(
        "a", {"q": 1}, {"a": 2}, {"m": 3}, "<rows> row 0"
    )


def test_missing_or_null_output_and_metadata_are_empty_objects() -> None:
    ex = one({"input": {"q": 1}, "output": None})
    assert (ex.output, ex.metadata, ex.source_id) == ({}, {}, None)


def test_other_top_level_keys_join_metadata_unless_strict() -> None:
    row = {"id": 1, "input": {}, "metadata": {"m": 1}, "split": "test"}
    assert one(row).metadata == {"m": 1, "id": 1, "split": "test"}
    assert one(row, source_id_key="id").metadata == {"m": 1, "split": "test"}
    err = refusal([row], source_id_key="id", strict=True)
    assert (err.code, err.location) == ("unexpected_key", "<rows> row 0")


def test_extra_key_clashing_with_a_metadata_key_is_refused() -> None:
    err = refusal([{"input": {}, "metadata": {"split": 1}, "split": 2}])
    assert err.code == "duplicate_key"


def test_flat_rows_are_split_by_the_listed_keys_and_the_rest_goes_to_metadata() -> None:
    row = {"uid": 9, "question": "q", "context": "c", "answer": "a", "source": "web"}
    ex = one(row, source_id_key="uid", input_keys=["question", "context"], output_keys=["answer"])
    assert ex == Example(
        "9", {"question": "q", "context": "c"}, {"answer": "a"}, {"source": "web"}, "<rows> row 0"
    )


def test_keys_may_be_given_as_a_comma_separated_string() -> None:
    ex = one({"a": 1, "b": 2, "c": 3}, input_keys="a, b", output_keys="c")
    assert (ex.input, ex.output) == ({"a": 1, "b": 2}, {"c": 3})


def test_listed_key_missing_is_omitted_or_refused_when_strict() -> None:
    assert one({"q": 1}, input_keys=["q"], output_keys=["answer"]).output == {}
    err = refusal([{"q": 1}], input_keys=["q"], output_keys=["answer"], strict=True)
    assert err.code == "missing_key"


def test_flat_split_requires_input_keys_and_distinct_keys() -> None:
    with pytest.raises(UsageError):
        examples_from_rows([], output_keys=["a"])
    with pytest.raises(UsageError):
        examples_from_rows([], input_keys=["a"], output_keys=["a"])
    with pytest.raises(UsageError):
        examples_from_rows([], source_id_key="id", source_id_fn=lambda r: r["id"])


def test_dotted_source_id_key_walks_nested_objects_and_stays_in_the_content() -> None:
    row = {"input": {}, "metadata": {"uid": "u-1"}}
    ex = one(row, source_id_key="metadata.uid")
    assert (ex.source_id, ex.metadata) == ("u-1", {"uid": "u-1"})


def test_a_top_level_key_with_a_dot_wins_over_the_nested_path() -> None:
    row = {"meta.uid": "flat", "meta": {"uid": "nested"}, "input": {}}
    assert one(row, source_id_key="meta.uid").source_id == "flat"


def test_integer_ids_become_decimal_strings_including_numpy_integers() -> None:
    assert one({"id": 42, "input": {}}, source_id_key="id").source_id == "42"
    assert one({"id": np.int64(-3), "input": {}}, source_id_key="id").source_id == "-3"


def test_source_id_fn_computes_the_id() -> None:
    ex = one({"input": {"q": "x"}}, source_id_fn=lambda r: "q:" + r["input"]["q"])
    assert ex.source_id == "q:x"


def test_duplicate_ids_are_all_listed_with_every_location() -> None:
    rows = [{"id": i, "input": {}} for i in ["a", "b", "a", "c", "b", "a"]]
    err = refusal(rows, source_id_key="id")
    assert err.code == "duplicate_source_id"
    assert err.details["duplicates"] == {
        "a": ["<rows> row 0", "<rows> row 2", "<rows> row 5"],
        "b": ["<rows> row 1", "<rows> row 4"],
    }
    assert err.location == "<rows> row 2"


def test_integer_and_string_forms_of_an_id_are_the_same_id() -> None:
    err = refusal([{"id": 1, "input": {}}, {"id": "1", "input": {}}], source_id_key="id")
    assert err.details["duplicates"] == {"1": ["<rows> row 0", "<rows> row 1"]}


@pytest.mark.parametrize(
    ("row", "code", "path"),
    [
        ({"input": {"x": float("nan")}}, "non_finite_number", "$.input.x"),
        ({"input": {"x": [1, 2**63 + 1]}}, "inexact_integer", "$.input.x[1]"),
        ({"input": {"x": object()}}, "not_json_type", "$.input.x"),
        ({"input": {1: "x"}}, "non_string_key", "$.input"),
        ({"input": {"x": "\udc00"}}, "lone_surrogate", "$.input.x"),
    ],
)
def test_values_refused_by_content_hash_v1_are_refused_at_the_row(
    row: dict[str, Any], code: str, path: str
) -> None:
    err = refusal([{"input": {}}, row], origin="qa")
    assert (err.code, err.location, err.details["path"]) == (code, "qa row 1", path)


def test_lone_surrogate_in_an_id_is_refused() -> None:
    row = {"id": "a\ud800", "input": {}}
    assert refusal([row], source_id_key="id").code == "lone_surrogate"  # the row check
    computed = refusal([{"input": {}}], source_id_fn=lambda r: "a\ud800")
    assert computed.code == "invalid_source_id"


def test_rows_that_are_not_objects_are_refused() -> None:
    assert refusal([["a"]]).code == "not_an_object"
