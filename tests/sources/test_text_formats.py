"""JSONL, JSON array and CSV files: reading, compression, and every bad input with its location."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import zstandard
from conftest import write_jsonl

from datasync.errors import SourceError
from datasync.sources import MAX_LINE_BYTES, Example, open_source

ROWS = [
    {"id": "a", "input": {"q": "2+2?"}, "output": {"a": "4"}, "metadata": {"k": 1}},
    {"id": 7, "input": {"q": "x"}},
]


def read(path: Path | str, **kw: Any) -> list[Example]:
    return list(open_source(str(path), source_id_key="id", **kw))


def error_of(path: Path | str, **kw: Any) -> SourceError:
    with pytest.raises(SourceError) as info:
        read(path, **kw)
    return info.value


def test_jsonl_rows_become_examples_with_line_locations(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", ROWS)
    examples = read(path)
    assert examples == [
        Example("a", {"q": "2+2?"}, {"a": "4"}, {"k": 1}, f"{path}:1"),
        Example("7", {"q": "x"}, {}, {}, f"{path}:2"),
    ]


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text("\n" + json.dumps(ROWS[0]) + "\n  \n" + json.dumps(ROWS[1]))
    assert [e.location for e in read(path)] == [f"{path}:2", f"{path}:4"]


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".ndjson.zst"])
def test_compressed_jsonl_reads_like_plain(tmp_path: Path, suffix: str) -> None:
    data = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
    packed = gzip.compress(data) if suffix.endswith(".gz") else zstandard.compress(data)
    path = tmp_path / f"d{suffix}"
    path.write_bytes(packed)
    plain = write_jsonl(tmp_path / "p.jsonl", ROWS)
    assert [(e.source_id, e.input) for e in read(path)] == [
        (e.source_id, e.input) for e in read(plain)
    ]


def test_corrupt_gzip_is_refused_with_the_file_named(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl.gz"
    path.write_bytes(b"not gzip at all")
    err = error_of(path)
    assert (err.code, err.location) == ("bad_compression", str(path))


def test_json_array_file_reads_elements_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text("[\n" + ",\n".join(json.dumps(r) for r in ROWS) + "\n]\n")
    examples = read(path)
    assert [(e.source_id, e.location) for e in examples] == [("a", f"{path}:2"), ("7", f"{path}:3")]


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ('{"id": "a"}', "not_an_array", 1),
        ('[{"id": "a", "input": {}}\n {"id": "b"}]', "invalid_json", 2),
        ('[{"id": "a", "input": {}}] x', "invalid_json", 1),
        ('[\n{"id": "a", "input": {"x": 1, "x": 2}}]', "duplicate_key", 2),
        ("[\n\n{bad}]", "invalid_json", 3),
    ],
)
def test_bad_json_array_files_are_refused_at_the_line(
    tmp_path: Path, text: str, code: str, line: int
) -> None:
    path = tmp_path / "d.json"
    path.write_text(text)
    err = error_of(path)
    assert err.code == code
    assert err.location is not None and err.location.startswith(f"{path}:{line}")


def test_csv_values_are_strings_and_need_a_column_split(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text('id,question,answer,tag\n1,"two, plus two",4,\n2,"multi\nline",5,x\n')
    examples = read(path, input_keys=["question"], output_keys=["answer"])
    assert examples == [
        Example("1", {"question": "two, plus two"}, {"answer": "4"}, {"tag": ""}, f"{path}:2"),
        Example("2", {"question": "multi\nline"}, {"answer": "5"}, {"tag": "x"}, f"{path}:3"),
    ]


@pytest.mark.parametrize(
    ("data", "code", "location"),
    [
        (b"id,q\n1,a,extra\n", "csv_field_count", ":2"),
        (b"id,q,q\n1,a,b\n", "duplicate_key", ":1"),
        (b'id,q\n1,"open\n', "invalid_csv", ":2"),
        (b"id,q\n\xef\xbb\xbf1,a\n", "byte_order_mark", ":2"),
        (b"id,q\n1,a\n2,\xff\n", "invalid_utf8", ":3"),
    ],
)
def test_bad_csv_is_refused_at_the_line(
    tmp_path: Path, data: bytes, code: str, location: str
) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(data)
    err = error_of(path, input_keys=["q"])
    assert (err.code, err.location) == (code, f"{path}{location}")


@pytest.mark.parametrize(
    ("line", "code", "suffix", "path"),
    [
        (b'{"id": "x", "input": {"a": 1, "a": 2}}', "duplicate_key", ":2", "$.input.a"),
        (b'{"id": "x", "input": {"a": NaN}}', "non_finite_number", ":2", "$.input.a"),
        (b'{"id": "x", "input": {"a": 9007199254740993}}', "inexact_integer", ":2", "$.input.a"),
        (b'{"id": "x", "input": {"a": 1e400}}', "non_finite_number", ":2", "$.input.a"),
        (b'{"id": "x", "input": {"a": "\\ud800"}}', "lone_surrogate", ":2", "$.input.a"),
        (b'{"id": "x", "input": {"a": }}', "invalid_json", ":2:28", None),
        (b'{"id": "x", "input": {"a": "\xff"}}', "invalid_utf8", ":2", None),
        (b'\xef\xbb\xbf{"id": "x", "input": {}}', "byte_order_mark", ":2", None),
        (b"[1, 2]", "not_an_object", ":2", None),
        (b'{"id": "x", "input": [1]}', "not_an_object", ":2", "$.input"),
        (b'{"id": "x", "output": {}}', "missing_key", ":2", None),
        (b'{"input": {}}', "missing_source_id", ":2", None),
        (b'{"id": "", "input": {}}', "empty_source_id", ":2", None),
        (b'{"id": null, "input": {}}', "missing_source_id", ":2", None),
        (b'{"id": 1.5, "input": {}}', "invalid_source_id", ":2", None),
        (b'{"id": true, "input": {}}', "invalid_source_id", ":2", None),
        (b'{"id": {"a": 1}, "input": {}}', "invalid_source_id", ":2", None),
    ],
)
def test_bad_jsonl_line_is_refused_with_code_and_location(
    tmp_path: Path, line: bytes, code: str, suffix: str, path: str | None
) -> None:
    file = tmp_path / "d.jsonl"
    file.write_bytes(b'{"id": "ok", "input": {}}\n' + line + b"\n")
    err = error_of(file)
    assert (err.code, err.location) == (code, f"{file}{suffix}")
    if path is not None:
        assert err.details["path"] == path


def test_over_long_line_is_refused_and_the_next_line_still_read(tmp_path: Path) -> None:
    file = tmp_path / "d.jsonl"
    long_value = "x" * MAX_LINE_BYTES
    with file.open("w") as f:
        f.write(json.dumps({"id": "big", "input": {"v": long_value}}) + "\n")
        f.write('{"id": "b", "input": {"a": NaN}}\n')
    err = error_of(file, max_errors=0)
    assert [(e["code"], e["location"]) for e in err.details["errors"]] == [
        ("line_too_long", f"{file}:1"),
        ("non_finite_number", f"{file}:2"),
    ]


def test_line_at_the_limit_is_accepted(tmp_path: Path) -> None:
    file = tmp_path / "d.jsonl"
    head = '{"id": "a", "input": {"v": "'
    line = head + "x" * (MAX_LINE_BYTES - len(head) - 3) + '"}}'
    assert len(line) == MAX_LINE_BYTES
    file.write_text(line + "\n")
    assert [e.source_id for e in read(file)] == ["a"]


def test_max_errors_collects_several_and_stops_at_the_limit(tmp_path: Path) -> None:
    file = tmp_path / "d.jsonl"
    bad = ['{"id": "x' + str(i) + '", "input": {"a": NaN}}' for i in range(5)]
    file.write_text("\n".join(['{"id": "ok", "input": {}}', *bad]) + "\n")
    err = error_of(file, max_errors=3)
    assert err.code == "non_finite_number"
    assert err.location == f"{file}:2"
    assert [e["location"] for e in err.details["errors"]] == [f"{file}:{n}" for n in (2, 3, 4)]
    assert err.details["stopped"] is True
    everything = error_of(file, max_errors=0)
    assert len(everything.details["errors"]) == 5
    assert everything.details["stopped"] is False


def test_examples_stop_at_the_first_error(tmp_path: Path) -> None:
    file = tmp_path / "d.jsonl"
    file.write_text('{"id": "a", "input": {}}\n{"id": "b"}\n{"id": "c", "input": {}}\n')
    seen: list[str | None] = []
    with pytest.raises(SourceError):
        for example in open_source(str(file), source_id_key="id", max_errors=5):
            seen.append(example.source_id)
    assert seen == ["a"]


def test_nesting_deeper_than_the_limit_is_refused_with_its_path(tmp_path: Path) -> None:
    file = tmp_path / "d.jsonl"
    file.write_text('{"id": "a", "input": {"x": ' + "[" * 200 + "]" * 200 + "}}\n")
    err = error_of(file)
    assert (err.code, err.location) == ("too_deep", f"{file}:1")
    assert err.details["path"].startswith("$.input.x[0]")


def test_json_array_file_over_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("datasync.sources._text.MAX_JSON_ARRAY_BYTES", 1000)
    path = tmp_path / "d.json"
    path.write_text(json.dumps([{"id": str(i), "input": {}} for i in range(100)]))
    err = error_of(path)
    assert (err.code, err.location) == ("file_too_large", str(path))


def test_a_directory_without_data_files_is_not_found(tmp_path: Path) -> None:
    # A directory is a source of its files (see test_many_files.py); this one holds none.
    folder = tmp_path / "d.jsonl"
    folder.mkdir()
    (folder / "notes.txt").write_text("not data")
    err = error_of(folder)
    assert (err.code, err.location) == ("source_not_found", str(folder))
    assert "no files match" in err.message
