"""Texts nested past the stdlib decoder's recursion report the same first error as shallow ones."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datasync import CanonicalError, loads_strict
from datasync._deep_json import decode
from datasync.canonical import MAX_DEPTH, _reference_loads_strict

DEEP = 3000  # well past Python's recursion limit of 1000


def _error(text: str) -> tuple[str, str]:
    with pytest.raises(CanonicalError) as info:
        loads_strict(text)
    return info.value.code, info.value.path


@pytest.mark.parametrize("depth", [200, DEEP])
def test_duplicate_key_before_deep_value_is_reported_first(depth: int) -> None:
    text = '{"a":1,"a":' + "[" * depth + "]" * depth + "}"
    assert _error(text) == ("duplicate_key", "$.a")


@pytest.mark.parametrize("depth", [200, DEEP])
def test_syntax_error_after_deep_value_is_reported_as_invalid_json(depth: int) -> None:
    text = "[" + "[" * depth + "]" * depth + ",]"
    assert _error(text)[0] == "invalid_json"


@pytest.mark.parametrize("depth", [200, DEEP])
def test_value_error_before_deep_value_is_reported_first(depth: int) -> None:
    text = '{"x":[NaN],"y":' + "[" * depth + "]" * depth + "}"
    assert _error(text) == ("non_finite_number", "$.x[0]")


@pytest.mark.parametrize("depth", [200, DEEP])
def test_deep_nesting_alone_is_too_deep_at_the_first_container_past_the_limit(depth: int) -> None:
    text = '{"k":' * depth + "1" + "}" * depth
    assert _error(text) == ("too_deep", "$" + ".k" * MAX_DEPTH)


def test_iterative_decoder_reports_unclosed_containers() -> None:
    with pytest.raises(json.JSONDecodeError):
        decode(
            "[" * DEEP,
            parse_int=int,
            parse_float=float,
            parse_constant=float,
            object_pairs_hook=dict,
        )


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.sampled_from([None, 1, 2]))
def test_iterative_decoder_builds_what_the_stdlib_decoder_builds(
    value: object, indent: object
) -> None:
    text = json.dumps(value, indent=indent)  # type: ignore[arg-type]
    hooks = dict(parse_int=int, parse_float=float, parse_constant=float, object_pairs_hook=list)
    assert decode(text, **hooks) == json.JSONDecoder(**hooks).decode(text)  # type: ignore[arg-type]


def test_reference_and_public_parser_agree_on_deep_texts() -> None:
    text = '{"a":' + "[" * DEEP + "]" * DEEP + ',"a":2}'
    with pytest.raises(CanonicalError) as ref:
        _reference_loads_strict(text)
    assert (ref.value.code, ref.value.path) == _error(text) == ("too_deep", "$.a" + "[0]" * 127)
