"""hash_examples: content hash v1 per example, in order, identical with worker processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasync.canonical import content_hash
from datasync.errors import SourceError, UsageError
from datasync.sources import (
    Example,
    HashedExample,
    examples_from_rows,
    hash_examples,
    hash_source,
    open_source,
)


def make_examples(n: int) -> list[Example]:
    return [
        Example(f"id{i}", {"q": i, "text": "x" * (i % 7)}, {"a": [i, i / 3]}, {}, f"<t> row {i}")
        for i in range(n)
    ]


def test_each_hash_is_content_hash_v1_of_the_example() -> None:
    examples = make_examples(5)
    for scheme in ("blake3", "sha256-128"):
        got = list(hash_examples(examples, scheme=scheme, workers=1))
        assert got == [
            HashedExample(
                e.source_id or "",
                content_hash(e.input, e.output, e.metadata, scheme=scheme),
                e.location,
            )
            for e in examples
        ]


def test_worker_processes_give_the_same_results_in_the_same_order() -> None:
    examples = make_examples(103)
    single = list(hash_examples(examples, workers=1))
    parallel = list(hash_examples(iter(examples), workers=2, chunk_size=7))
    assert parallel == single
    assert len({h.hash for h in single}) == 103


def test_refused_value_in_a_worker_names_the_example_and_path() -> None:
    examples = make_examples(30)
    bad = Example("bad", {"x": [1, float("inf")]}, {}, {}, "<t> row 30")
    for workers in (1, 2):
        with pytest.raises(SourceError) as info:
            list(hash_examples([*examples, bad], workers=workers, chunk_size=4))
        err = info.value
        assert (err.code, err.location, err.details["path"]) == (
            "non_finite_number",
            "<t> row 30",
            "$.input.x[1]",
        )


def test_without_source_ids_the_identity_is_the_content_hash() -> None:
    rows = [{"input": {"q": 1}}, {"input": {"q": 2}}]
    hashed = list(hash_examples(examples_from_rows(rows)))
    assert [h.source_id for h in hashed] == [h.hash for h in hashed]
    assert hashed[0].hash == content_hash({"q": 1})


def test_equal_content_without_source_ids_is_a_duplicate_with_all_locations() -> None:
    rows = [{"input": {"q": 1}}, {"input": {"q": 2}}, {"input": {"q": 1}}, {"input": {"q": 1}}]
    with pytest.raises(SourceError) as info:
        list(hash_examples(examples_from_rows(rows)))
    assert info.value.code == "duplicate_source_id"
    assert info.value.details["duplicates"] == {
        content_hash({"q": 1}): ["<rows> row 0", "<rows> row 2", "<rows> row 3"]
    }


def test_bad_options_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        hash_examples([], scheme="md5")
    with pytest.raises(UsageError):
        hash_examples([], workers=0)


def test_workers_pull_a_bounded_number_of_chunks_ahead() -> None:
    pulled = 0

    def source() -> Any:
        nonlocal pulled
        for example in make_examples(1000):
            pulled += 1
            yield example

    stream = hash_examples(source(), workers=2, chunk_size=10)
    first = next(stream)
    assert first.source_id == "id0"
    assert pulled <= 2 * 2 * 10 + 10  # at most 2 chunks per worker in flight, plus one
    stream.close()


row_strategy = st.fixed_dictionaries(
    {
        "q": st.text(max_size=12),
        "n": st.integers(-(2**53), 2**53),
        "f": st.floats(allow_nan=False, allow_infinity=False),
        "tags": st.lists(st.text(max_size=5), max_size=3),
        "b": st.booleans(),
        "opt": st.one_of(st.none(), st.text(max_size=4)),
    }
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(row_strategy, min_size=1, max_size=12))
def test_random_rows_hash_the_same_from_jsonl_and_parquet(
    tmp_path: Path, rows: list[dict[str, Any]]
) -> None:
    keyed = [{"id": str(i), **row} for i, row in enumerate(rows)]
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in keyed))
    schema = pa.schema(
        [
            ("id", pa.string()),
            ("q", pa.string()),
            ("n", pa.int64()),
            ("f", pa.float64()),
            ("tags", pa.list_(pa.string())),
            ("b", pa.bool_()),
            ("opt", pa.string()),
        ]
    )
    parquet = tmp_path / "r.parquet"
    pq.write_table(pa.Table.from_pylist(keyed, schema=schema), parquet, row_group_size=5)
    mapping: dict[str, Any] = {
        "source_id_key": "id",
        "input_keys": ["q", "n", "f"],
        "output_keys": ["tags"],
    }
    from_jsonl = list(hash_examples(open_source(str(jsonl), **mapping), workers=1))
    from_parquet = list(hash_examples(open_source(str(parquet), **mapping), workers=1))
    assert [(h.source_id, h.hash) for h in from_jsonl] == [
        (h.source_id, h.hash) for h in from_parquet
    ]


def serial(path: Path, **kw: Any) -> list[tuple[str, str, str]]:
    examples = open_source(str(path), **kw)
    return [(h.source_id, h.hash, h.location) for h in hash_examples(examples, workers=1)]


def test_hash_source_parses_jsonl_in_workers_with_identical_results(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    lines = [json.dumps({"id": i, "input": {"n": i, "s": "é" * (i % 5)}}) for i in range(250)]
    path.write_text("\n".join(lines[:100]) + "\n\n" + "\n".join(lines[100:]) + "\n")
    for key in ("id", None):
        expected = serial(path, source_id_key=key)
        got = hash_source(str(path), source_id_key=key, workers=2, chunk_size=9)
        assert [(h.source_id, h.hash, h.location) for h in got] == expected
        assert len(expected) == 250


def test_hash_source_collects_the_same_errors_across_chunks(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    rows = [json.dumps({"id": i % 40, "input": {"n": i}}) for i in range(60)]
    rows[7] = '{"id": "x", "input": {"n": NaN}}'
    rows[33] = '{"id": "y"}'
    path.write_text("\n".join(rows) + "\n")
    errors = []
    for run in (
        lambda: serial(path, source_id_key="id", max_errors=0),
        lambda: list(
            hash_source(str(path), source_id_key="id", max_errors=0, workers=2, chunk_size=4)
        ),
    ):
        with pytest.raises(SourceError) as info:
            run()
        errors.append(info.value.details["errors"])
    assert errors[0] == errors[1]
    assert [e["code"] for e in errors[0]] == [
        "non_finite_number",
        "missing_key",
        "duplicate_source_id",
    ]


def test_hash_source_reads_other_formats_through_open_source(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "q": [1, 2]}), path)
    got = hash_source(str(path), source_id_key="id", input_keys=["q"], workers=2, chunk_size=1)
    assert [(h.source_id, h.hash) for h in got] == [
        ("a", content_hash({"q": 1})),
        ("b", content_hash({"q": 2})),
    ]


def test_auto_mode_switches_to_workers_after_the_threshold_with_identical_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("datasync.sources._hashing.PARALLEL_AFTER", 20)
    monkeypatch.setattr("datasync.sources._hashing.os.cpu_count", lambda: 2)
    examples = make_examples(90)
    expected = list(hash_examples(examples, workers=1))
    assert list(hash_examples(examples, chunk_size=7)) == expected
    path = tmp_path / "e.jsonl"
    path.write_text("".join(json.dumps({"id": i, "input": {"n": i}}) + "\n" for i in range(90)))
    got = hash_source(str(path), source_id_key="id", chunk_size=7)
    assert [(h.source_id, h.hash, h.location) for h in got] == serial(path, source_id_key="id")
