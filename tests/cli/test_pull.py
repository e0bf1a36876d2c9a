"""``datasync pull``, ``log`` and ``ls``, embedded and remote: a pulled file pushes back as a
no-op, in JSONL and Parquet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datasync.cli import main
from datasync.store import Store
from tests.cli.conftest import Run, write
from tests.client.conftest import rows


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_pull_then_push_is_a_noop(run: Run, store: Store, tmp_path: Path, suffix: str) -> None:
    data = rows(40)
    data[5]["output"] = {}  # an empty object: a null struct in Parquet, {} again on reading
    if suffix == ".jsonl":  # JSONL holds any shape; Parquet needs one schema (see below)
        data[3]["metadata"] = {"split": "train", "nested": {"k": [1, 2.5, None]}}
    run("push", str(write(tmp_path / "qa.jsonl", data)), "--dataset", "qa")
    out_file = tmp_path / f"pulled{suffix}"
    assert run("pull", "qa", "-o", str(out_file), as_json=False)[0] == 0
    code, again = run("push", str(out_file), "--dataset", "qa")
    assert code == 0 and again["no_op"], again
    assert len(store.list_versions("qa").items) == 1


def test_pull_an_older_version_to_stdout(run: Run, tmp_path: Path) -> None:
    src = tmp_path / "qa.jsonl"
    _, v1 = run("push", str(write(src, rows(5))), "--dataset", "qa")
    run("push", str(write(src, rows(2))), "--dataset", "qa")
    code, text = run("pull", "qa", "--version", str(v1["version_id"]), as_json=False)
    pulled = [json.loads(line) for line in text.splitlines()]
    assert code == 0 and pulled == rows(5)
    code, text = run("pull", "qa", "--where", "split=test", as_json=False)
    assert [json.loads(line)["id"] for line in text.splitlines()] == ["e00000"]


def test_pull_of_unknown_dataset_is_exit_1_and_writes_no_file(
    target: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    assert main(["pull", "nope", "-o", str(out_dir / "x.jsonl"), *target]) == 1
    assert "nope" in capsys.readouterr().err
    assert list(out_dir.iterdir()) == []  # no file, no leftover part file


def test_parquet_refuses_examples_that_would_not_round_trip(run: Run, tmp_path: Path) -> None:
    data = rows(3)
    data[1]["input"] = {"question": "x", "extra": 1}  # a key the other rows lack -> null fill
    run("push", str(write(tmp_path / "qa.jsonl", data)), "--dataset", "qa")
    out_file = tmp_path / "x.parquet"
    code, _ = run("pull", "qa", "-o", str(out_file), as_json=False)
    assert code == 1 and not out_file.exists()


def test_log_and_ls_report_versions_and_datasets(run: Run, tmp_path: Path) -> None:
    src = tmp_path / "qa.jsonl"
    run("push", str(write(src, rows(5))), "--dataset", "qa", "-m", "one")
    run("push", str(write(src, rows(6))), "--dataset", "qa", "-m", "two", "--tag", "k=v")
    code, out = run("log", "qa")
    log = out["versions"]
    assert out["dataset"] == "qa" and out["target"]
    assert code == 0 and [(v["message"], v["created"], v["total"]) for v in log] == [
        ("two", 1, 6),
        ("one", 5, 5),
    ]
    assert log[0]["tags"] == {"k": "v"}
    code, out = run("ls")
    listed = out["datasets"]
    assert code == 0 and [(d["name"], d["examples"]) for d in listed] == [("qa", 6)]
    code, table = run("log", "qa", as_json=False)
    assert code == 0 and "two" in table and "one" in table
    assert run("log", "missing")[0] == 1
