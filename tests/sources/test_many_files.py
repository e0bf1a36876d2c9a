"""Directories and globs as one source: local, fsspec (memory://) and git; sorted order,
errors and duplicate ids across files, metadata.split from the file name."""

from __future__ import annotations

import gzip
from pathlib import Path

import fsspec
import pytest
from conftest import git, write_jsonl

from datasync.errors import SourceError
from datasync.sources import hash_examples, hash_source, is_many, open_source

TRAIN = [{"id": "t1", "input": {"q": 1}}, {"id": "t2", "input": {"q": 2}}]
TEST = [{"id": "e1", "input": {"q": 3}}]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    write_jsonl(root / "train.jsonl", TRAIN)
    write_jsonl(root / "test.jsonl", TEST)
    (root / "README.md").write_text("not data")
    (root / ".hidden.jsonl").write_text("not read")
    (root / "nested").mkdir()
    write_jsonl(root / "nested" / "x.jsonl", [{"id": "n", "input": {}}])
    return root


def ids_and_locations(uri: str, **kw: object) -> list[tuple[str | None, str]]:
    return [(e.source_id, e.location) for e in open_source(uri, source_id_key="id", **kw)]


def test_a_directory_reads_its_data_files_in_sorted_order(data: Path) -> None:
    assert ids_and_locations(str(data)) == [
        ("e1", f"{data}/test.jsonl:1"),
        ("t1", f"{data}/train.jsonl:1"),
        ("t2", f"{data}/train.jsonl:2"),
    ]


@pytest.mark.parametrize("workers", [1, 2])
def test_hash_source_of_a_directory_equals_the_files_hashed_one_after_the_other(
    data: Path, workers: int
) -> None:
    got = [
        (h.source_id, h.hash, h.location)
        for h in hash_source(str(data), source_id_key="id", workers=workers)
    ]
    expected = [
        (h.source_id, h.hash, h.location)
        for name in ("test.jsonl", "train.jsonl")
        for h in hash_source(str(data / name), source_id_key="id")
    ]
    assert got == expected


def test_a_glob_reads_the_matching_files_and_double_star_crosses_directories(data: Path) -> None:
    assert [i for i, _ in ids_and_locations(f"{data}/t*.jsonl")] == ["e1", "t1", "t2"]
    assert [i for i, _ in ids_and_locations(f"{data}/tr*.jsonl")] == ["t1", "t2"]
    assert [i for i, _ in ids_and_locations(f"{data}/**/*.jsonl")] == ["n", "e1", "t1", "t2"]


def test_split_from_filename_puts_each_file_stem_in_metadata(data: Path) -> None:
    (data / "extra.jsonl.gz").write_bytes(gzip.compress(b'{"id":"g","input":{}}\n'))
    splits = {
        e.source_id: e.metadata["split"]
        for e in open_source(str(data), source_id_key="id", split_from_filename=True)
    }
    assert splits == {"g": "extra", "e1": "test", "t1": "train", "t2": "train"}
    hashed = {
        h.source_id: h.hash
        for h in hash_source(str(data), source_id_key="id", split_from_filename=True)
    }
    plain = {h.source_id: h.hash for h in hash_source(str(data), source_id_key="id")}
    assert hashed.keys() == plain.keys() and all(hashed[k] != plain[k] for k in hashed)
    same = hash_examples(
        open_source(str(data), source_id_key="id", split_from_filename=True), workers=1
    )
    assert {h.source_id: h.hash for h in same} == hashed


def test_a_row_with_another_split_is_refused_with_its_line(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "train.jsonl", [{"id": "a", "input": {}, "metadata": {"split": "dev"}}])
    for read in (open_source, hash_source):
        with pytest.raises(SourceError) as info:
            list(read(str(tmp_path), source_id_key="id", split_from_filename=True))  # type: ignore[operator]
        assert info.value.code == "split_conflict"
        assert info.value.location == f"{tmp_path}/train.jsonl:1"


@pytest.mark.parametrize("read", [open_source, hash_source])
def test_an_id_in_two_files_names_both_files_and_lines(data: Path, read: object) -> None:
    write_jsonl(data / "val.jsonl", [{"id": "x", "input": {}}, {"id": "t2", "input": {"q": 9}}])
    with pytest.raises(SourceError) as info:
        list(read(str(data), source_id_key="id"))  # type: ignore[operator]
    assert info.value.code == "duplicate_source_id"
    assert info.value.details["duplicates"] == {
        "t2": [f"{data}/train.jsonl:2", f"{data}/val.jsonl:2"]
    }
    assert f"{data}/train.jsonl:2" in str(info.value) and f"{data}/val.jsonl:2" in str(info.value)


def test_equal_content_in_two_files_without_ids_is_a_duplicate(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", [{"input": {"q": 1}}])
    write_jsonl(tmp_path / "b.jsonl", [{"input": {"q": 1}}])
    with pytest.raises(SourceError) as info:
        list(hash_source(str(tmp_path)))
    assert info.value.code == "duplicate_source_id"
    assert list(info.value.details["duplicates"].values()) == [
        [f"{tmp_path}/a.jsonl:1", f"{tmp_path}/b.jsonl:1"]
    ]


@pytest.mark.parametrize("read", [open_source, hash_source])
def test_errors_are_collected_across_files_up_to_max_errors(data: Path, read: object) -> None:
    (data / "test.jsonl").write_text('{"id": "e1", "input": {}}\nnot json\n')
    (data / "train.jsonl").write_text('{"id": "t1"}\n{"id": "t2", "input": {"x": NaN}}\n')
    with pytest.raises(SourceError) as info:
        list(read(str(data), source_id_key="id", max_errors=0))  # type: ignore[operator]
    errors = info.value.details["errors"]
    assert [(e["code"], e["location"]) for e in errors] == [
        ("invalid_json", f"{data}/test.jsonl:2:1"),
        ("missing_key", f"{data}/train.jsonl:1"),
        ("non_finite_number", f"{data}/train.jsonl:2"),
    ]
    with pytest.raises(SourceError) as info:
        list(read(str(data), source_id_key="id", max_errors=2))  # type: ignore[operator]
    assert len(info.value.details["errors"]) == 2 and info.value.details["stopped"] is True
    with pytest.raises(SourceError) as info:
        list(read(str(data), source_id_key="id"))  # type: ignore[operator]
    assert (info.value.code, info.value.location) == ("invalid_json", f"{data}/test.jsonl:2:1")


def test_nothing_matching_is_source_not_found(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for uri in (str(tmp_path / "empty"), f"{tmp_path}/*.jsonl"):
        with pytest.raises(SourceError) as info:
            list(open_source(uri))
        assert info.value.code == "source_not_found"


def test_a_plain_file_is_not_many(data: Path) -> None:
    assert not is_many(str(data / "train.jsonl"))
    assert is_many(str(data)) and is_many(f"{data}/*.jsonl")
    assert not is_many("-") and not is_many("https://host/a*.jsonl")


def test_fsspec_directories_and_globs_read_like_local_ones(data: Path) -> None:
    for name in ("train.jsonl", "test.jsonl"):
        with fsspec.open(f"memory://many/{name}", "wb") as f:
            f.write((data / name).read_bytes())
    local = [i for i, _ in ids_and_locations(str(data))]
    assert [i for i, _ in ids_and_locations("memory://many/")] == local
    # fsspec names the files (memory:// has a root "/")
    assert ids_and_locations("memory://many/*.jsonl") == [
        ("e1", "memory:///many/test.jsonl:1"),
        ("t1", "memory:///many/train.jsonl:1"),
        ("t2", "memory:///many/train.jsonl:2"),
    ]


def test_git_directories_and_globs_read_the_revision(git_repo: Path) -> None:
    (git_repo / "data").mkdir()
    write_jsonl(git_repo / "data" / "train.jsonl", TRAIN)
    write_jsonl(git_repo / "data" / "test.jsonl", TEST)
    git(git_repo, "add", "data")
    git(git_repo, "commit", "-q", "-m", "splits")
    write_jsonl(git_repo / "data" / "test.jsonl", [{"id": "later", "input": {}}])
    git(git_repo, "commit", "-q", "-am", "later")
    at_parent = ids_and_locations(f"git://{git_repo}@HEAD~1:data/", split_from_filename=True)
    assert at_parent == [
        ("e1", f"{git_repo}@HEAD~1:data/test.jsonl:1"),
        ("t1", f"{git_repo}@HEAD~1:data/train.jsonl:1"),
        ("t2", f"{git_repo}@HEAD~1:data/train.jsonl:2"),
    ]
    assert [i for i, _ in ids_and_locations(f"git://{git_repo}@main:data/te*.jsonl")] == ["later"]
    assert [i for i, _ in ids_and_locations(f"git://{git_repo}@v1:*.jsonl")] == ["a"]
    with pytest.raises(SourceError) as info:
        list(open_source(f"git://{git_repo}@v1:data/"))
    assert info.value.code == "source_not_found"
