"""hash_source's JSONL worker (chunks of lines at once) against the same lines one by one.

The worker hands ROWS_PER_CALL lines at a time to ``canonical.loads_rows_content`` and skips
the column mapping for rows that come with their content bytes. Whatever the mix of lines,
it must give what the per-line path gives: the same ``(line, source id, hash)`` or the same
Failure (code, message, location, details), blank lines skipped, in the same order.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from datasync.canonical import ROWS_PER_CALL, canonical_content, content_hash
from datasync.errors import CanonicalError, SourceError
from datasync.sources._hash_source import _parse_and_hash
from datasync.sources._hashing import Failure, refused
from datasync.sources._mapping import ColumnMapping
from datasync.sources._text import parse_jsonl_line

Line = tuple[int, bytes | None]


def per_line(
    lines: list[Line], name: str, mapping: ColumnMapping, scheme: str, keep: bool = False
) -> list[Any]:
    """The worker's answer built line by line: parse_jsonl_line, the mapping, content_hash
    (and the canonical content when ``keep``)."""
    out: list[Any] = []
    for lineno, line in lines:
        record = parse_jsonl_line(lineno, line, name)
        if record is None:
            continue
        if isinstance(record, SourceError):
            out.append(Failure.of(record))
            continue
        try:
            example = mapping.to_example(record[1], f"{name}:{lineno}")
        except SourceError as exc:
            out.append(Failure.of(exc))
            continue
        try:
            digest = content_hash(example.input, example.output, example.metadata, scheme=scheme)
        except CanonicalError as exc:
            out.append(Failure.of(refused(exc, example)))
            continue
        content = canonical_content(example.input, example.output, example.metadata)
        out.append((lineno, example.source_id, digest, content if keep else None))
    return out


def _shaped(id: Any = "e1", input: Any = None, **rest: Any) -> bytes:
    row = {"id": id, "input": {"q": "Why?", "n": [1, 2.5]} if input is None else input}
    row |= {"output": {"a": "x"}, "metadata": {"score": 0.25}} | rest
    return json.dumps(row).encode()


POOL: list[bytes | None] = [
    _shaped(),
    _shaped(),
    _shaped(),
    _shaped("é-1"),  # a non-ASCII id: to_example checks it
    _shaped(7),
    _shaped(True),
    _shaped(None),
    _shaped(""),
    _shaped(1.5),
    _shaped(["a"]),
    _shaped({"k": 1}),
    b'{"id": "\\ud800", "input": {}, "output": {}, "metadata": {}}',
    _shaped(input={"n": 1.0}),
    _shaped(input={"n": -0.0}),
    _shaped(input={"n": 2**60}),
    _shaped(input={"n": 2**60 + 1}),
    _shaped(input={"n": 1.5e-6, "m": 1e16}),
    _shaped(input=[1]),
    _shaped(output=None),
    _shaped(output=[]),
    _shaped(extra={"x": 1}),
    _shaped(uid="u-1"),
    _shaped(meta={"uid": "m-1"}),
    b'{"id": "x", "input": {"q": 1}, "metadata": {}}',
    b'{"input": {"q": 1}}',
    b'{"uid": "u", "meta": {"uid": "m"}, "q": "flat", "a": 1, "z": null}',
    b'{"id": "f", "q": "flat", "a": [1.0], "other": true}',
    b'{"id": "x", "input": {"a": 1, "a": 2}}',
    b'{"id": "x", "input": {"q": NaN}}',
    b'{"id": "x", "input": {"q": 1}',
    b'{"id": "x", "input": {"deep": ' + b"[" * 130 + b"]" * 130 + b"}}",
    b"[1, 2]",
    b"",
    b"   ",
    b"\t\r",
    b"\xef\xbb\xbf{}",
    b'{"id": "x", "input": {"q": "\xff"}}',
    None,  # longer than MAX_LINE_BYTES
]

MAPPINGS = [
    ColumnMapping.build(source_id_key="id"),
    ColumnMapping.build(source_id_key="id", strict=True),
    ColumnMapping.build(source_id_key="uid"),
    ColumnMapping.build(source_id_key="meta.uid"),
    ColumnMapping.build(),
    ColumnMapping.build(source_id_key="id", input_keys=["q"], output_keys=["a"]),
    ColumnMapping.build(source_id_fn=lambda row: row.get("id")),
]


def _mixed_lines(seed: int, n: int) -> list[Line]:
    rnd = random.Random(seed)
    good = POOL[0]
    return [(i, good if rnd.random() < 0.6 else rnd.choice(POOL)) for i in range(1, n + 1)]


@pytest.mark.parametrize("mapping", MAPPINGS, ids=range(len(MAPPINGS)))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_worker_gives_what_the_lines_give_one_by_one(mapping: ColumnMapping, seed: int) -> None:
    lines = _mixed_lines(seed, 2 * ROWS_PER_CALL + 37)
    scheme = "blake3" if seed % 2 else "sha256-128"
    got = _parse_and_hash(lines, "d.jsonl", mapping, scheme)
    assert got == per_line(lines, "d.jsonl", mapping, scheme)
    kept = _parse_and_hash(lines, "d.jsonl", mapping, scheme, keep=True)  # the second pass
    assert kept == per_line(lines, "d.jsonl", mapping, scheme, keep=True)


def test_every_pool_line_alone_and_all_together() -> None:
    for mapping in MAPPINGS:
        for i, line in enumerate(POOL):
            single = [(i + 1, line)]
            assert _parse_and_hash(single, "d.jsonl", mapping, "blake3") == per_line(
                single, "d.jsonl", mapping, "blake3"
            ), (mapping, line)
        every = list(enumerate(POOL, 1))
        assert _parse_and_hash(every, "d.jsonl", mapping, "blake3") == per_line(
            every, "d.jsonl", mapping, "blake3"
        )


def test_a_clean_chunk_gives_one_hash_per_line_in_order() -> None:
    lines = [(n, _shaped(f"e{n}", {"n": n})) for n in range(1, 1001)]
    got = _parse_and_hash(lines, "d.jsonl", MAPPINGS[0], "blake3")
    assert [item[:2] for item in got] == [(n, f"e{n}") for n in range(1, 1001)]
    assert got[41][2] == content_hash({"n": 42}, {"a": "x"}, {"score": 0.25})
