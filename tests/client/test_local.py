"""The local side of a push: a JSONL source's bodies are read back by line number."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from datasync.canonical import canonical_content, hash_bytes
from datasync.client._local import LocalSource, RowMapping, local_source
from datasync.errors import SourceError
from datasync.sources import open_source


def _row(i: int) -> str:
    return json.dumps({"id": f"ex-{i}", "input": {"q": f"é {i}"}, "output": {"a": i / 3}})


def _write(path: Path, rows: list[str]) -> Path:
    data = ("\n".join(rows) + "\n").encode()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


@pytest.mark.parametrize("name", ["data.jsonl", "data.jsonl.gz"])
def test_bodies_read_by_line_equal_the_bodies_of_a_full_re_parse(tmp_path: Path, name: str) -> None:
    rows = [_row(i) for i in range(300)]
    rows[10:10] = ["", "   "]  # blank lines shift line numbers off positions
    path = _write(tmp_path / name, rows)
    wanted = {f"ex-{i}" for i in (0, 9, 10, 11, 150, 299)}
    with local_source(path, RowMapping(), workers=1) as source:
        manifest = source.manifest()
        assert manifest.lines is not None and len(manifest.lines) == 300
        assert manifest.lines[manifest.position("ex-10") or 0] == 13
        positions = sorted(p for p in map(manifest.position, wanted) if p is not None)
        assert len(positions) == len(wanted)
        by_line = list(source.bodies(manifest, positions))
    everything = {ex.source_id: ex for ex in open_source(str(path), source_id_key="id")}
    reparsed = LocalSource(str(path), iter, lambda: open_source(str(path), source_id_key="id"))
    assert by_line == list(reparsed.bodies(manifest, positions))
    assert by_line == [everything[manifest.id_at(p)] for p in positions]


def test_a_csv_source_records_no_lines_and_still_sends_its_bodies(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("id,q\na,1\nb,2\n")
    with local_source(path, RowMapping(input_keys=["q"]), workers=1) as source:
        manifest = source.manifest()
        assert manifest.lines is None
        assert [ex.input for ex in source.bodies(manifest, [1])] == [{"q": "2"}]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda rows: rows.insert(0, _row(999)), "expected id 'ex-3' here, found 'ex-2'"),
        (lambda rows: rows.__setitem__(3, ""), "expected id 'ex-3' on line 4"),
        (lambda rows: rows.__delitem__(slice(2, None)), "blank or past the end"),
        (lambda rows: rows.insert(3, ""), "expected id 'ex-3' on line 4"),
    ],
    ids=["row-inserted", "line-blanked", "truncated", "blank-inserted"],
)
def test_a_source_edited_between_the_passes_is_refused(
    tmp_path: Path, edit: object, message: str
) -> None:
    rows = [_row(i) for i in range(6)]
    path = _write(tmp_path / "data.jsonl", rows)
    with local_source(path, RowMapping(), workers=1) as source:
        manifest = source.manifest()
        edit(rows)  # type: ignore[operator]
        _write(path, rows)
        with pytest.raises(SourceError) as info:
            list(source.bodies(manifest, [3, 5]))
    assert info.value.code == "source_changed"
    assert message in str(info.value)


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("mapping", [RowMapping(), RowMapping(source_id_key=None)])
def test_contents_by_line_are_the_canonical_content_of_the_bodies(
    tmp_path: Path, workers: int, mapping: RowMapping
) -> None:
    rows = [_row(i) for i in range(300)]
    rows[10:10] = [""]
    rows.append(json.dumps({"id": "odd", "input": {"q": 1}, "extra": [1.5, -0.0]}))
    path = _write(tmp_path / "data.jsonl.gz", rows)
    with local_source(path, mapping, workers=workers) as source:
        manifest = source.manifest()
        positions = [0, 9, 10, 150, 299, 300]
        contents = source.contents(manifest, positions)
        assert contents is not None
        got = list(contents)
        bodies = list(source.bodies(manifest, positions))
    assert got == [canonical_content(b.input, b.output, b.metadata) for b in bodies]
    assert [hash_bytes(c) for c in got] == [manifest.hash_at(p) for p in positions]


def test_a_csv_source_has_no_contents_by_line(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("id,q\na,1\n")
    with local_source(path, RowMapping(input_keys=["q"]), workers=1) as source:
        assert source.contents(source.manifest(), [0]) is None


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda rows: rows.insert(0, _row(999)), "expected id 'ex-3' here, found 'ex-2'"),
        (lambda rows: rows.__setitem__(3, ""), "expected id 'ex-3' on line 4"),
        (lambda rows: rows.__delitem__(slice(2, None)), "blank or past the end"),
        (lambda rows: rows.__setitem__(3, _row(3).replace("1.0", "2.0")), "not what was hashed"),
    ],
    ids=["row-inserted", "line-blanked", "truncated", "content-edited"],
)
def test_contents_of_a_source_edited_between_the_passes_are_refused(
    tmp_path: Path, edit: object, message: str
) -> None:
    rows = [_row(i) for i in range(6)]
    path = _write(tmp_path / "data.jsonl", rows)
    with local_source(path, RowMapping(), workers=1) as source:
        manifest = source.manifest()
        edit(rows)  # type: ignore[operator]
        _write(path, rows)
        contents = source.contents(manifest, [3, 5])
        assert contents is not None
        with pytest.raises(SourceError) as info:
            list(contents)
    assert info.value.code == "source_changed"
    assert message in str(info.value)
