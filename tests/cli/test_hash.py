"""`datasync hash`: JSON lines on stdout, a summary on stderr, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasync.canonical import content_hash
from datasync.cli import main

ROWS = [
    {"id": "q1", "question": "2+2?", "answer": "4", "level": 1},
    {"id": "q2", "question": "capital of France?", "answer": "Paris", "level": 2},
]
SPLIT = ["--source-id-key", "id", "--input-keys", "question", "--output-keys", "answer"]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["hash", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "qa.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return path


def test_prints_one_json_line_per_example_with_its_content_hash(
    jsonl: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run([str(jsonl), *SPLIT], capsys)
    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == [
        {
            "source_id": r["id"],
            "hash": content_hash(
                {"question": r["question"]}, {"answer": r["answer"]}, {"level": r["level"]}
            ),
        }
        for r in ROWS
    ]
    assert "hashed 2 examples" in err
    assert "0 duplicate ids" in err


def test_jsonl_and_parquet_with_the_same_examples_print_identical_output(
    jsonl: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parquet = tmp_path / "qa.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), parquet, row_group_size=1)
    for scheme in ("blake3", "sha256-128"):
        _, from_jsonl, _ = run([str(jsonl), *SPLIT, "--scheme", scheme], capsys)
        _, from_parquet, _ = run([str(parquet), *SPLIT, "--scheme", scheme], capsys)
        assert from_jsonl == from_parquet
        assert len(from_jsonl.splitlines()) == 2


def test_worker_processes_print_the_same_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({"id": i, "input": {"n": i}}) + "\n" for i in range(2500)))
    _, single, _ = run([str(path), "--source-id-key", "id", "--workers", "1"], capsys)
    code, parallel, _ = run([str(path), "--source-id-key", "id", "--workers", "2"], capsys)
    assert code == 0
    assert parallel == single
    assert len(single.splitlines()) == 2500


def test_json_summary_for_scripts(jsonl: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run([str(jsonl), *SPLIT, "--json"], capsys)
    summary = json.loads(err)
    assert code == 0
    assert (summary["count"], summary["duplicates"], summary["ok"]) == (2, 0, True)
    assert summary["examples_per_second"] > 0


def test_bad_data_exits_1_and_names_code_and_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "input": {}}\n{"id": "b", "input": {"x": NaN}}\n')
    code, _, err = run([str(path), "--source-id-key", "id"], capsys)
    assert code == 1
    assert f"[non_finite_number] {path}:2:" in err


def test_max_errors_lists_several_errors_and_the_json_summary_holds_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"id": "a"}\n{"id": "b", "input": 1}\n{"id": "a", "input": {}}\n{"id": "a", "input": {}}\n'
    )
    code, _, err = run([str(path), "--source-id-key", "id", "--max-errors", "0", "--json"], capsys)
    assert code == 1
    summary = json.loads(err)
    assert summary["ok"] is False
    errors = summary["error"]["details"]["errors"]
    assert [(e["code"], e["location"]) for e in errors] == [
        ("missing_key", f"{path}:1"),
        ("not_an_object", f"{path}:2"),
        ("duplicate_source_id", f"{path}:4"),
    ]


def test_duplicates_are_counted_in_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "dup.jsonl"
    path.write_text('{"id": 1, "input": {}}\n{"id": "1", "input": {"x": 1}}\n')
    code, _, err = run([str(path), "--source-id-key", "id", "--json"], capsys)
    summary = json.loads(err)
    assert (code, summary["duplicates"]) == (1, 1)
    assert summary["error"]["details"]["duplicates"] == {"1": [f"{path}:1", f"{path}:2"]}


@pytest.mark.parametrize(
    "args",
    [["--scheme", "md5"], ["--max-errors", "-1"], ["--workers", "0"], ["--format", "xml"]],
)
def test_bad_options_exit_2(jsonl: Path, args: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["hash", str(jsonl), *args])
    assert info.value.code == 2


def test_options_the_library_refuses_exit_2(
    jsonl: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run([str(jsonl), "--output-keys", "answer"], capsys)
    assert code == 2
    assert "input_keys is required" in err
    renamed = jsonl.with_suffix(".data")
    jsonl.rename(renamed)
    code, _, err = run([str(renamed)], capsys)
    assert (code, "unknown_format" in err) == (2, True)


def test_reads_stdin_and_shows_no_progress_bar_when_stderr_is_not_a_terminal(jsonl: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "datasync", "hash", "-", *SPLIT],
        input=jsonl.read_bytes(),
        capture_output=True,
        check=True,
    )
    assert len(out.stdout.splitlines()) == 2
    assert b"\x1b[" not in out.stderr


def test_progress_bar_goes_to_stderr_when_it_is_a_terminal(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({"id": i, "input": {}}) + "\n" for i in range(3000)))
    primary, secondary = pty.openpty()
    proc = subprocess.run(
        [sys.executable, "-m", "datasync", "hash", str(path), "--source-id-key", "id"],
        stdout=subprocess.PIPE,
        stderr=secondary,
        check=True,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "80"},
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(primary, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(primary)
    terminal = b"".join(chunks)
    assert len(proc.stdout.splitlines()) == 3000
    assert b"examples hashed" in terminal
    assert b"hashed 3000 examples" in terminal
