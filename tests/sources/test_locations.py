"""Locations: git revisions, S3 (moto server), HTTP, memory://, file://, stdin, missing files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import git, write_jsonl

from datasync.errors import SourceError, UsageError
from datasync.sources import hash_examples, open_source

ROWS = [{"id": "a", "input": {"q": 1}}, {"id": "b", "input": {"q": 2}, "output": {"a": 3}}]


def hashes(uri: str, **kw: Any) -> list[tuple[str, str]]:
    examples = open_source(uri, source_id_key="id", **kw)
    return [(h.source_id, h.hash) for h in hash_examples(examples, workers=1)]


def test_git_revisions_of_one_path_hash_differently(git_repo: Path) -> None:
    at_v1 = hashes(f"git://{git_repo}@v1:data.jsonl")
    at_main = hashes(f"git://{git_repo}@main:data.jsonl")
    at_parent = hashes(f"git://{git_repo}@HEAD~1:data.jsonl")
    assert at_v1 == at_parent
    assert [sid for sid, _ in at_v1] == [sid for sid, _ in at_main] == ["a"]
    assert at_v1 != at_main
    write_jsonl(git_repo / "v1.jsonl", [{"id": "a", "input": {"q": "v1"}}])
    assert at_v1 == hashes(str(git_repo / "v1.jsonl"))


def test_git_commit_hash_and_fsspec_url_form_read_the_same_blob(git_repo: Path) -> None:
    commit = git(git_repo, "rev-parse", "v1")
    assert hashes(f"git://{git_repo}@{commit}:data.jsonl") == hashes(
        f"git://{git_repo}:v1@data.jsonl"
    )


def test_git_locations_name_repo_revision_and_line(git_repo: Path) -> None:
    (example,) = open_source(f"git://{git_repo}@v1:data.jsonl", source_id_key="id")
    assert example.location == f"{git_repo}@v1:data.jsonl:1"


def test_git_parquet_blob_is_read(git_repo: Path) -> None:
    pq.write_table(pa.table({"id": ["p"], "q": [1]}), git_repo / "t.parquet")
    git(git_repo, "add", "t.parquet")
    git(git_repo, "commit", "-q", "-m", "parquet")
    (example,) = open_source(
        f"git://{git_repo}@main:t.parquet", source_id_key="id", input_keys=["q"]
    )
    assert (example.source_id, example.input) == ("p", {"q": 1})


@pytest.mark.parametrize(
    "suffix", ["@nope:data.jsonl", "@v1:missing.jsonl"], ids=["bad_revision", "bad_path"]
)
def test_git_missing_revision_or_path_is_refused(git_repo: Path, suffix: str) -> None:
    with pytest.raises(SourceError) as info:
        list(open_source(f"git://{git_repo}{suffix}"))
    assert info.value.code == "source_not_found"


def test_git_url_without_revision_separator_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        list(open_source("git://just-a-path"))


def test_s3_object_read_through_s3fs_from_a_local_moto_server(
    tmp_path: Path, s3_endpoint: str, s3_options: dict[str, Any]
) -> None:
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket="data")
    body = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
    s3.put_object(Bucket="data", Key="qa/v1.jsonl", Body=body)
    local = tmp_path / "v1.jsonl"
    local.write_bytes(body)
    table = pa.table(
        {
            "id": ["a", "b"],
            "input": pa.array([{"q": 1}, {"q": 2}]),
            "output": pa.array([None, {"a": 3}]),
        }
    )
    pq.write_table(table, tmp_path / "v1.parquet")
    s3.put_object(Bucket="data", Key="qa/v1.parquet", Body=(tmp_path / "v1.parquet").read_bytes())
    expected = hashes(str(local))
    assert hashes("s3://data/qa/v1.jsonl", **s3_options) == expected
    assert hashes("s3://data/qa/v1.parquet", **s3_options) == expected
    with pytest.raises(SourceError) as info:
        list(open_source("s3://data/qa/missing.jsonl", **s3_options))
    assert info.value.code == "source_not_found"


def test_http_files_are_read_like_the_local_ones(http_dir: tuple[Path, str]) -> None:
    # http.server ignores Range requests: JSONL streams, Parquet is spooled to a temp file.
    root, base = http_dir
    rows = [{"id": str(i), "input": {"t": "x" * 200}} for i in range(20_000)]
    write_jsonl(root / "qa.jsonl", rows)
    pq.write_table(pa.Table.from_pylist(rows), root / "qa.parquet", row_group_size=5000)
    expected = hashes(str(root / "qa.jsonl"))
    assert len(expected) == 20_000
    assert hashes(f"{base}/qa.jsonl") == expected
    assert hashes(f"{base}/qa.parquet") == expected
    with pytest.raises(SourceError) as info:
        list(open_source(f"{base}/missing.jsonl"))
    assert info.value.code == "source_not_found"


def test_memory_and_file_urls_read_like_a_path(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "qa.jsonl", ROWS)
    with fsspec.open("memory://bucket/qa.jsonl", "wb") as f:
        f.write(path.read_bytes())
    assert hashes("memory://bucket/qa.jsonl") == hashes(str(path))
    assert hashes(path.as_uri()) == hashes(str(path))


def test_stdin_is_read_as_jsonl(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "qa.jsonl", ROWS)
    code = (
        "from datasync.sources import open_source\n"
        "for e in open_source('-', source_id_key='id'): print(e.source_id, e.location)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], input=path.read_bytes(), capture_output=True, check=True
    )
    assert out.stdout.decode().splitlines() == ["a <stdin>:1", "b <stdin>:2"]


def test_missing_local_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        list(open_source(str(tmp_path / "nope.jsonl")))
    assert (info.value.code, info.value.location) == (
        "source_not_found",
        str(tmp_path / "nope.jsonl"),
    )


def test_unknown_extension_needs_format_and_format_overrides(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "qa.txt", ROWS)
    with pytest.raises(UsageError) as info:
        list(open_source(str(path)))
    assert info.value.code == "unknown_format"
    assert [e.source_id for e in open_source(str(path), source_id_key="id", format="ndjson")] == [
        "a",
        "b",
    ]
    with pytest.raises(UsageError):
        open_source(str(path), format="xml")


def test_unknown_protocol_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as info:
        list(open_source("nosuchproto://x/y.jsonl"))
    assert info.value.code == "unsupported_location"
