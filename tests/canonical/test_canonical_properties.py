"""Hypothesis properties of content hash v1."""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

import blake3
from hypothesis import given, settings
from hypothesis import strategies as st

from datasync.canonical import canonical_content, canonicalize, content_hash, loads_strict

# Exactly representable integers, finite doubles, and text without lone surrogates.
_ints = st.integers(min_value=-(2**53), max_value=2**53) | st.sampled_from([2**60, -(2**64)])
_floats = st.floats(allow_nan=False, allow_infinity=False)
_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_leaves = st.none() | st.booleans() | _ints | _floats | _text
_values = st.recursive(
    _leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=20,
)
_objects = st.dictionaries(_text, _values, max_size=5)


def _shuffled(value: Any, rng: random.Random) -> Any:
    """The same value with every object's keys in a different insertion order."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


@settings(max_examples=150)
@given(_objects, _objects, _objects, st.randoms(use_true_random=False))
def test_key_order_does_not_change_the_hash(
    i: dict[str, Any], o: dict[str, Any], m: dict[str, Any], rng: random.Random
) -> None:
    shuffled = (_shuffled(i, rng), _shuffled(o, rng), _shuffled(m, rng))
    assert content_hash(i, o, m) == content_hash(*shuffled)
    assert content_hash(i, o, m, scheme="sha256-128") == content_hash(
        *shuffled, scheme="sha256-128"
    )


@settings(max_examples=200)
@given(_values)
def test_canonical_bytes_are_a_fixed_point_of_parse_and_canonicalize(value: Any) -> None:
    once = canonicalize(value)
    assert canonicalize(loads_strict(once)) == once
    assert canonicalize(loads_strict(once.decode("utf-8"))) == once


@settings(max_examples=200)
@given(_values)
def test_canonical_bytes_are_json_that_means_the_same_value(value: Any) -> None:
    once = canonicalize(value)
    # An independent reader (the standard library) reads back an equal value.
    assert canonicalize(json.loads(once)) == once


@settings(max_examples=150)
@given(_objects, _objects, _objects)
def test_hashes_are_of_the_canonical_content_bytes(
    i: dict[str, Any], o: dict[str, Any], m: dict[str, Any]
) -> None:
    data = canonical_content(i, o, m)
    assert content_hash(i, o, m) == blake3.blake3(data).hexdigest()
    sha = hashlib.sha256(data).hexdigest()
    assert content_hash(i, o, m, scheme="sha256-128") == sha[:32]
    assert len(content_hash(i, o, m)) == 64


@settings(max_examples=100)
@given(_objects, _objects)
def test_input_and_output_are_not_interchangeable(i: dict[str, Any], o: dict[str, Any]) -> None:
    if i != o:
        assert content_hash(i, o) != content_hash(o, i)
