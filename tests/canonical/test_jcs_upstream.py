"""The upstream RFC 8785 conformance suite (golden_vectors/upstream/), run on bare values."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from datasync.canonical import MAX_DEPTH, canonicalize, loads_strict
from datasync.errors import CanonicalError

UPSTREAM = (
    Path(__file__).resolve().parents[2] / "golden_vectors/upstream/jcs-upstream-vectors.jsonl.gz"
)


def _read() -> list[dict[str, Any]]:
    with gzip.open(UPSTREAM, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


VECTORS = _read()
DEEP = [v for v in VECTORS if v["name"].startswith("erdtman-npm-tests/depth/")]
SHALLOW = [v for v in VECTORS if v not in DEEP]


@pytest.mark.parametrize("vector", SHALLOW, ids=[v["name"] for v in SHALLOW])
def test_upstream_vector_canonical_bytes(vector: dict[str, Any]) -> None:
    assert canonicalize(loads_strict(vector["input_json"])).hex() == vector["canonical_hex"]


def test_the_suite_has_the_two_100000_deep_vectors() -> None:
    assert [v["name"] for v in DEEP] == [
        "erdtman-npm-tests/depth/arrays-100000",
        "erdtman-npm-tests/depth/objects-100000",
    ]


@pytest.mark.parametrize("vector", DEEP, ids=[v["name"] for v in DEEP])
def test_100000_deep_upstream_vectors_are_too_deep(vector: dict[str, Any]) -> None:
    with pytest.raises(CanonicalError) as info:
        loads_strict(vector["input_json"])
    assert info.value.code == "too_deep"
    # The first container past the limit: depth MAX_DEPTH + 1, reached by MAX_DEPTH steps.
    step = "[0]" if vector["input_json"].startswith("[") else ".a"
    assert info.value.path == "$" + step * MAX_DEPTH
