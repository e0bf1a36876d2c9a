"""Every golden vector, read from the committed files (never regenerated here)."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import blake3
import pytest

from datasync.canonical import canonical_content, content_hash, loads_strict
from datasync.errors import CanonicalError

VECTORS = Path(__file__).resolve().parents[2] / "golden_vectors"
CODES = {
    "invalid_json", "invalid_utf8", "byte_order_mark", "duplicate_key", "non_finite_number",
    "inexact_integer", "lone_surrogate", "too_deep", "not_an_object",
}  # fmt: skip


def _read(name: str) -> list[dict[str, str]]:
    with open(VECTORS / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


VALID = _read("valid.jsonl")
INVALID = _read("invalid.jsonl")
BY_NAME = {v["name"]: v for v in VALID}


def _content_of(raw: str | bytes) -> bytes:
    example = loads_strict(raw)
    assert set(example) <= {"input", "output", "metadata"}
    return canonical_content(example.get("input"), example.get("output"), example.get("metadata"))


def test_there_are_at_least_120_vectors_with_unique_names() -> None:
    names = [v["name"] for v in VALID + INVALID]
    assert len(names) >= 120
    assert len(names) == len(set(names))


def test_valid_vectors_have_exactly_the_documented_fields() -> None:
    for v in VALID:
        assert set(v) == {"name", "json", "canonical", "canonical_hex", "blake3", "sha256_128"}


def test_invalid_vectors_have_exactly_the_documented_fields() -> None:
    for v in INVALID:
        assert set(v) in (
            {"name", "json", "code", "path"},
            {"name", "json_hex", "code", "path"},
        ), v["name"]
        assert v["code"] in CODES


def test_every_json_text_refusal_code_has_a_vector() -> None:
    assert {v["code"] for v in INVALID} == CODES


@pytest.mark.parametrize("vector", VALID, ids=[v["name"] for v in VALID])
def test_valid_vector_canonical_bytes_and_hashes(vector: dict[str, str]) -> None:
    expected = bytes.fromhex(vector["canonical_hex"])
    assert vector["canonical"].encode("utf-8") == expected
    assert _content_of(vector["json"]) == expected
    assert _content_of(vector["json"].encode("utf-8")) == expected
    example = loads_strict(vector["json"])
    parts = (example.get("input"), example.get("output"), example.get("metadata"))
    assert content_hash(*parts) == vector["blake3"]
    assert content_hash(*parts, scheme="sha256-128") == vector["sha256_128"]
    # The hashes are of the expected bytes, computed here without datasync.
    assert blake3.blake3(expected).hexdigest() == vector["blake3"]
    assert hashlib.sha256(expected).hexdigest()[:32] == vector["sha256_128"]


@pytest.mark.parametrize("vector", INVALID, ids=[v["name"] for v in INVALID])
def test_invalid_vector_is_refused_with_its_code_and_path(vector: dict[str, str]) -> None:
    raw: str | bytes = bytes.fromhex(vector["json_hex"]) if "json_hex" in vector else vector["json"]
    with pytest.raises(CanonicalError) as info:
        _content_of(raw)
    assert (info.value.code, info.value.path) == (vector["code"], vector["path"])
    if isinstance(raw, str):  # same answer from the UTF-8 bytes
        with pytest.raises(CanonicalError) as again:
            _content_of(raw.encode("utf-8"))
        assert (again.value.code, again.value.path) == (vector["code"], vector["path"])


def _hash(name: str) -> str:
    return BY_NAME[name]["blake3"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("unicode/nfc-e-acute", "unicode/nfd-e-acute"),
        ("unicode/nfc-hangul", "unicode/nfd-hangul"),
        ("unicode/angstrom-sign", "unicode/a-ring"),
        ("unicode/nfc-key", "unicode/nfd-key"),
    ],
)
def test_no_unicode_normalization_nfc_and_nfd_hash_differently(first: str, second: str) -> None:
    assert _hash(first) != _hash(second)


def test_key_order_in_the_text_does_not_change_the_hash() -> None:
    assert _hash("keys/order-a") == _hash("keys/order-b")


def test_keys_sort_by_utf16_code_units_not_code_points() -> None:
    # U+1F600 is D83D DE00 in UTF-16, so it sorts before U+E000 and U+FFFF.
    for name, first in [("keys/astral-before-e000", "😀"), ("keys/astral-before-ffff", "😀")]:
        canonical = BY_NAME[name]["canonical"]
        assert canonical.index(first) < canonical.index("\ue000" if "e000" in name else "\uffff")


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("numbers/zero", "0"), ("numbers/minus-zero", "0"), ("numbers/minus-zero-point-zero", "0"),
        ("numbers/one-point-zero", "1"), ("numbers/hundred", "100"), ("numbers/1e2", "100"),
        ("numbers/1e20", "100000000000000000000"), ("numbers/1e21", "1e+21"),
        ("numbers/1e-6", "0.000001"), ("numbers/1e-7", "1e-7"), ("numbers/5e-324", "5e-324"),
        ("numbers/0.1", "0.1"), ("numbers/0.30000000000000004", "0.30000000000000004"),
        ("numbers/1e300", "1e+300"), ("numbers/2pow53", "9007199254740992"),
        ("numbers/2pow60-integer", "1152921504606847000"), ("numbers/1E30", "1e+30"),
        ("numbers/4.50", "4.5"), ("numbers/1e21-integer-literal", "1e+21"),
        ("numbers/underflow-to-zero", "0"), ("numbers/negative-underflow", "0"),
    ],
)  # fmt: skip
def test_number_forms_are_ecmascript(name: str, number: str) -> None:
    """Hand-written expectations, independent of the generator."""
    text = '{"input":{"n":' + number + '},"metadata":{},"output":{}}'
    assert BY_NAME[name]["canonical"] == text


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("strings/short-escapes", r"\b\t\n\f\r"),
        ("strings/short-escapes-given-as-u", r"\b\t\n\f\r"),
        ("strings/vertical-tab-and-escape", r"\u000b\u001b"),
        ("strings/quote-and-backslash", r"say \"hi\" \\ bye"),
        ("strings/solidus-escaped-in-input", "a/b</script>"),
        ("strings/del-is-raw", "\x7f"),
        ("strings/u2028-u2029-are-raw", "\u2028\u2029"),
        ("strings/surrogate-pair-escape", "😀"),
    ],
)
def test_string_escapes_are_minimal(name: str, escaped: str) -> None:
    """Hand-written expectations, independent of the generator."""
    text = '{"input":{"s":"' + escaped + '"},"metadata":{},"output":{}}'
    assert BY_NAME[name]["canonical"] == text


def _upstream() -> list[dict[str, Any]]:
    with gzip.open(VECTORS / "upstream" / "jcs-upstream-vectors.jsonl.gz", "rt") as f:
        return [json.loads(line) for line in f]


def test_upstream_vectors_are_folded_in_by_substitution() -> None:
    folded = 0
    for vec in _upstream():
        if vec["name"].startswith("erdtman-npm-tests/depth/"):
            continue
        canon = bytes.fromhex(vec["canonical_hex"])
        if not vec["input_json"].lstrip().startswith("{"):
            canon = b'{"v":' + canon + b"}"
        expected = b'{"input":' + canon + b',"metadata":{},"output":{}}'
        assert BY_NAME["upstream/" + vec["name"]]["canonical_hex"] == expected.hex(), vec["name"]
        folded += 1
    assert folded == len([n for n in BY_NAME if n.startswith("upstream/")]) == 55
