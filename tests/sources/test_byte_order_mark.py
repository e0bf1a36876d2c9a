"""A UTF-8 byte-order mark at the very start of a file is skipped (Windows tools write one):
JSONL, JSON and CSV, plain or compressed, local, fsspec (memory://) and git; the hashing
pass of a push reads the same. A BOM anywhere else is still refused."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import fsspec
import pytest
from conftest import git

from datasync.errors import SourceError
from datasync.sources import hash_source, open_source

BOM = b"\xef\xbb\xbf"
FILES = {
    "d.jsonl": b'{"id": "a", "input": {"q": 1}}\n{"id": "b", "input": {"q": 2}}\n',
    "d.json": b'[{"id": "a", "input": {"q": 1}},\n {"id": "b", "input": {"q": 2}}]\n',
    "d.csv": b"id,q\na,1\nb,2\n",
}


def _examples(uri: str) -> list[tuple[str, object, str]]:
    keys = {"input_keys": ["q"]} if ".csv" in uri else {}
    return [
        (e.source_id, e.input, e.location.rsplit(":", 1)[1])
        for e in open_source(uri, source_id_key="id", **keys)
    ]


def _local(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _memory(tmp_path: Path, name: str, data: bytes) -> str:
    uri = f"memory://bom-{tmp_path.name}/{name}"
    with fsspec.open(uri, "wb") as f:
        f.write(data)
    return uri


def _git(tmp_path: Path, name: str, data: bytes) -> str:
    repo = tmp_path / "repo"
    repo.mkdir(exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    (repo / name).write_bytes(data)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", name)
    return f"git://{repo}@main:{name}"


def _gzip(tmp_path: Path, name: str, data: bytes) -> str:
    return _local(tmp_path, name + ".gz", gzip.compress(data))


OPENERS: dict[str, Callable[[Path, str, bytes], str]] = {
    "local": _local,
    "memory": _memory,
    "git": _git,
    "gzip": _gzip,
}


@pytest.mark.parametrize("opener", sorted(OPENERS))
@pytest.mark.parametrize("name", sorted(FILES))
def test_a_bom_at_the_start_of_a_file_is_skipped(tmp_path: Path, opener: str, name: str) -> None:
    plain = _examples(OPENERS[opener](tmp_path / "plain", name, FILES[name]))
    (tmp_path / "bom").mkdir()
    with_bom = _examples(OPENERS[opener](tmp_path / "bom", name, BOM + FILES[name]))
    assert with_bom == plain and [sid for sid, _, _ in plain] == ["a", "b"]


@pytest.fixture(autouse=True)
def _dirs(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()


def test_the_hashing_pass_skips_it_too(tmp_path: Path) -> None:
    plain = _local(tmp_path, "p.jsonl", FILES["d.jsonl"])
    marked = _local(tmp_path, "m.jsonl", BOM + FILES["d.jsonl"])
    for workers in (1, 2):
        assert [h.hash for h in hash_source(marked, source_id_key="id", workers=workers)] == [
            h.hash for h in hash_source(plain, source_id_key="id", workers=workers)
        ]


@pytest.mark.parametrize(
    ("name", "data", "code", "line"),
    [
        (
            "d.jsonl",
            b'{"id": "a", "input": {}}\n' + BOM + b'{"id": "b", "input": {}}\n',
            "byte_order_mark",
            "2",
        ),
        ("d.jsonl", BOM + BOM + b'{"id": "a", "input": {}}\n', "byte_order_mark", "1"),
        ("d.csv", b"id,q\n" + BOM + b"a,1\n", "byte_order_mark", "2"),
        ("d.json", b"[\n" + BOM + b'{"id": "a", "input": {}}]', "invalid_json", "2"),
    ],
)
def test_a_bom_elsewhere_is_refused(
    tmp_path: Path, name: str, data: bytes, code: str, line: str
) -> None:
    uri = _local(tmp_path, name, data)
    with pytest.raises(SourceError) as info:
        _examples(uri)
    assert info.value.code == code
    assert info.value.location is not None and info.value.location.split(":")[1] == line
