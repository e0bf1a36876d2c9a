"""Strict values from Python objects: every refusal code, conversions and number rules."""

from __future__ import annotations

import enum
import hashlib
from collections import OrderedDict
from decimal import Decimal
from typing import Any

import blake3
import numpy as np
import pytest

from datasync import CanonicalError, DatasyncError
from datasync.canonical import (
    MAX_DEPTH,
    SCHEMES,
    canonical_content,
    canonicalize,
    content_hash,
    hash_bytes,
    json_path,
    loads_strict,
)
from datasync.errors import UsageError


def _refusal(value: Any) -> tuple[str, str]:
    with pytest.raises(CanonicalError) as info:
        canonicalize(value)
    return info.value.code, info.value.path


# --- integers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2**53, b"9007199254740992"),
        (-(2**53), b"-9007199254740992"),
        (2**53 - 1, b"9007199254740991"),
        (2**60, b"1152921504606847000"),
        (2**64, b"18446744073709552000"),
        (10**21, b"1e+21"),
        (2**1023, b"8.98846567431158e+307"),
    ],
)
def test_exactly_representable_python_ints_are_accepted(value: int, text: bytes) -> None:
    assert canonicalize(value) == text
    assert canonicalize(float(value)) == text


@pytest.mark.parametrize(
    "value",
    [2**53 + 1, -(2**53) - 1, 12345678901234567890, 2**60 + 1, 10**400, -(10**400), 10**5000],
    ids=[
        "2**53+1",
        "-2**53-1",
        "12345678901234567890",
        "2**60+1",
        "10**400",
        "-10**400",
        "10**5000",
    ],
)
def test_inexact_python_ints_are_refused(value: int) -> None:
    assert _refusal({"n": value}) == ("inexact_integer", "$.n")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1152921504606847000, b"1152921504606847000"),
        (10**23, b"1e+23"),
        (12345678901234567000, b"12345678901234567000"),
        (-(10**23), b"-1e+23"),
    ],
)
def test_ints_whose_shortest_double_form_is_the_same_number_are_accepted(
    value: int, text: bytes
) -> None:
    """Their double is not exact, but JCS writes it back as the same number."""
    assert canonicalize(value) == text
    assert loads_strict(text) == float(value)  # the nearest double
    assert canonicalize(loads_strict(text)) == text


def test_a_huge_int_is_refused_with_a_short_message() -> None:
    with pytest.raises(CanonicalError) as info:
        canonicalize(10**5000)
    assert len(str(info.value)) < 200
    assert "store it as a string" in str(info.value)


def test_a_huge_integer_literal_is_refused_not_crashed() -> None:
    """Python refuses int() of > 4300 digits with ValueError; that must not escape."""
    with pytest.raises(CanonicalError) as info:
        loads_strict('{"n":' + "7" * 10000 + "}")
    assert (info.value.code, info.value.path) == ("inexact_integer", "$.n")
    assert len(str(info.value)) < 200


def test_the_largest_exact_integer_literal_below_the_double_range_is_accepted() -> None:
    assert loads_strict(str(2**1023)) == 2**1023
    assert canonicalize(loads_strict(str(-(2**1023)))) == b"-8.98846567431158e+307"


def test_bool_is_not_a_number() -> None:
    assert canonicalize([True, False]) == b"[true,false]"
    assert content_hash({"a": True}) != content_hash({"a": 1})
    assert content_hash({"a": False}) != content_hash({"a": 0})


# --- floats ---------------------------------------------------------------------------------


def test_negative_zero_canonicalizes_to_zero() -> None:
    assert canonicalize(-0.0) == b"0"
    assert canonicalize({"z": [-0.0, 0.0, -0]}) == b'{"z":[0,0,0]}'
    assert content_hash({"z": -0.0}) == content_hash({"z": 0})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_are_refused(value: float) -> None:
    assert _refusal({"a": [1, value]}) == ("non_finite_number", "$.a[1]")


# --- numpy scalars and other foreign types --------------------------------------------------


def test_numpy_scalars_are_converted() -> None:
    assert canonicalize(np.int64(2**60)) == canonicalize(2**60)
    assert canonicalize(np.int64(-7)) == b"-7"
    assert canonicalize(np.uint8(255)) == b"255"
    # float32 0.1 is the double 0.10000000149011612: converted exactly, not re-rounded.
    assert canonicalize(np.float32(0.1)) == b"0.10000000149011612"
    assert canonicalize(np.float64(-0.0)) == b"0"
    assert canonicalize(np.bool_(True)) == b"true"
    assert canonicalize(np.str_("x")) == b'"x"'
    assert canonicalize(np.array([[1, 2], [3, 4]])) == b"[[1,2],[3,4]]"


def test_numpy_values_still_obey_the_strict_rules() -> None:
    assert _refusal({"x": np.float64("nan")}) == ("non_finite_number", "$.x")
    assert _refusal({"x": np.uint64(2**64 - 1)}) == ("inexact_integer", "$.x")
    assert _refusal({"x": np.array([1.0, np.inf])}) == ("non_finite_number", "$.x[1]")


def test_tuples_are_arrays() -> None:
    assert canonicalize({"t": (1, (2, "x"))}) == b'{"t":[1,[2,"x"]]}'
    assert content_hash({"t": (1, 2)}) == content_hash({"t": [1, 2]})


class _Color(enum.IntEnum):
    RED = 1


class _Name(str):
    pass


def test_subclasses_of_json_types_are_plain_values() -> None:
    assert canonicalize({"c": _Color.RED, _Name("k"): _Name("v")}) == b'{"c":1,"k":"v"}'
    assert canonicalize(OrderedDict([("b", 1), ("a", 2)])) == b'{"a":2,"b":1}'


@pytest.mark.parametrize(
    "value", [{1, 2}, b"bytes", Decimal("1.5"), object(), 1j, frozenset(), bytearray(b"x")]
)
def test_values_that_are_not_json_types_are_refused(value: Any) -> None:
    assert _refusal({"ok": 1, "bad": [value]}) == ("not_json_type", "$.bad[0]")


@pytest.mark.parametrize("key", [1, None, 1.5, ("a",), True])
def test_non_string_keys_are_refused_at_the_object(key: Any) -> None:
    assert _refusal({"outer": {key: 1}}) == ("non_string_key", "$.outer")


def test_a_lone_surrogate_in_a_python_string_is_refused() -> None:
    assert _refusal({"s": "ok\ud800"}) == ("lone_surrogate", "$.s")
    assert _refusal({"k\udfff": 1}) == ("lone_surrogate", '$["k\\udfff"]')


# --- depth ----------------------------------------------------------------------------------


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_nesting_at_max_depth_is_accepted_and_one_past_is_refused() -> None:
    assert canonicalize(_nested(MAX_DEPTH)) == b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert _refusal(_nested(MAX_DEPTH + 1)) == ("too_deep", "$" + "[0]" * MAX_DEPTH)


def test_content_wrapper_counts_as_depth_one() -> None:
    canonical_content({"a": _nested(MAX_DEPTH - 2)})
    with pytest.raises(CanonicalError) as info:
        canonical_content({"a": _nested(MAX_DEPTH - 1)})
    assert (info.value.code, info.value.path) == ("too_deep", "$.input.a" + "[0]" * 126)


def test_a_self_referencing_list_is_too_deep_not_a_crash() -> None:
    loop: list[Any] = []
    loop.append(loop)
    assert _refusal(loop)[0] == "too_deep"


# --- content ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (([1],), "$.input"),
        (("text",), "$.input"),
        ((None,), "$.input"),
        (({}, [1]), "$.output"),
        (({}, "Paris"), "$.output"),
        (({}, {}, 3), "$.metadata"),
        (({}, None, (("a", 1),)), "$.metadata"),
    ],
)
def test_input_output_metadata_must_be_objects(args: tuple[Any, ...], path: str) -> None:
    with pytest.raises(CanonicalError) as info:
        content_hash(*args)
    assert (info.value.code, info.value.path) == ("not_an_object", path)


def test_missing_output_and_metadata_are_empty_objects() -> None:
    assert canonical_content({"q": 1}) == b'{"input":{"q":1},"metadata":{},"output":{}}'
    assert content_hash({"q": 1}) == content_hash({"q": 1}, {}, {})


def test_schemes_hash_the_canonical_bytes() -> None:
    data = canonical_content({"q": 1}, {"a": 2}, {"m": 3})
    assert content_hash({"q": 1}, {"a": 2}, {"m": 3}) == blake3.blake3(data).hexdigest()
    sha = content_hash({"q": 1}, {"a": 2}, {"m": 3}, scheme="sha256-128")
    assert sha == hashlib.sha256(data).hexdigest()[:32]
    assert SCHEMES == ("blake3", "sha256-128")


def test_an_unknown_scheme_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as info:
        content_hash({"q": 1}, scheme="md5")
    assert info.value.code == "unknown_scheme"
    with pytest.raises(UsageError):
        hash_bytes(b"", "sha256")


# --- errors carry code and path ---------------------------------------------------------------


def test_canonical_error_is_a_datasync_error_with_code_and_path_in_its_text() -> None:
    with pytest.raises(DatasyncError) as info:
        content_hash({"scores": [1, 2, 3, float("nan")]})
    err = info.value
    assert isinstance(err, CanonicalError)
    assert (err.code, err.path) == ("non_finite_number", "$.input.scores[3]")
    assert "non_finite_number" in str(err)
    assert "$.input.scores[3]" in str(err)
    assert err.details["path"] == "$.input.scores[3]"


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("plain_key1", "$.plain_key1"),
        ("a b", '$["a b"]'),
        ("", '$[""]'),
        ("1a", '$["1a"]'),
        ("$x", '$["$x"]'),
        ('q"\\', '$["q\\"\\\\"]'),
        ("\n\x01", '$["\\n\\u0001"]'),
        ("é", '$["é"]'),
        (3, "$[3]"),
    ],
)
def test_json_path_quotes_keys_like_json_stringify(key: str | int, path: str) -> None:
    assert json_path("$", key) == path
