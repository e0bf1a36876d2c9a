"""Source options shared by ``hash``, ``push`` and ``diff``: directories and globs, every bad
line at once (``--max-errors``, ``$DATASYNC_MAX_ERRORS``), one id default; asserting on the
store's state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datasync.cli import main
from datasync.store import Store
from tests.cli.conftest import Run, write


def split_dir(root: Path) -> Path:
    root.mkdir()
    write(root / "train.jsonl", [{"id": "t1", "input": {"q": 1}}, {"id": "t2", "input": {"q": 2}}])
    write(root / "test.jsonl", [{"id": "e1", "input": {"q": 3}}])
    return root


def test_push_of_a_directory_with_split_from_filename_holds_every_file(
    run: Run, store: Store, tmp_path: Path
) -> None:
    data = split_dir(tmp_path / "data")
    code, out = run("push", str(data), "--dataset", "qa", "--split-from-filename")
    assert code == 0 and out["summary"]["created"] == 3
    held = {e.source_id: e.metadata for e in store.iter_examples("qa").items}
    assert held == {"e1": {"split": "test"}, "t1": {"split": "train"}, "t2": {"split": "train"}}
    code, again = run("push", f"{data}/*.jsonl", "--dataset", "qa", "--split-from-filename")
    assert code == 0 and again["no_op"]
    write(data / "test.jsonl", [{"id": "e1", "input": {"q": 30}}])
    code, diff = run("diff", str(data), "--dataset", "qa", "--split-from-filename")
    assert (diff["patch"], diff["create"], diff["delete"]) == (["e1"], [], [])


def test_push_of_a_directory_with_an_id_in_two_files_names_both_and_sends_nothing(
    run: Run, store: Store, tmp_path: Path
) -> None:
    data = split_dir(tmp_path / "data")
    write(data / "val.jsonl", [{"id": "t2", "input": {"q": 9}}])
    code, out = run("push", str(data), "--dataset", "qa")
    assert code == 1 and out["error"]["code"] == "duplicate_source_id"
    assert out["error"]["details"]["duplicates"] == {
        "t2": [f"{data}/train.jsonl:2", f"{data}/val.jsonl:1"]
    }
    assert store.list_datasets().items == ()


BAD = '{"id": "a", "input": {}}\nnope\n{"id": "b"}\n{"id": "c", "input": {"x": NaN}}\n'


@pytest.mark.parametrize("command", ["push", "diff"])
def test_max_errors_lists_every_bad_line_and_sends_nothing(
    run: Run, store: Store, tmp_path: Path, command: str
) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text(BAD)
    code, out = run(command, str(src), "--dataset", "qa", "--max-errors", "0")
    assert code == 1
    assert [(e["code"], e["location"]) for e in out["error"]["details"]["errors"]] == [
        ("invalid_json", f"{src}:2:1"),
        ("missing_key", f"{src}:3"),
        ("non_finite_number", f"{src}:4"),
    ]
    code, out = run(command, str(src), "--dataset", "qa", "--max-errors", "2")
    assert len(out["error"]["details"]["errors"]) == 2 and out["error"]["details"]["stopped"]
    code, out = run(command, str(src), "--dataset", "qa")
    assert "errors" not in out["error"]["details"] and out["error"]["code"] == "invalid_json"
    assert store.list_datasets().items == ()


def test_max_errors_default_comes_from_the_environment(
    run: Run, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text(BAD)
    monkeypatch.setenv("DATASYNC_MAX_ERRORS", "0")
    code, out = run("push", str(src), "--dataset", "qa")
    assert code == 1 and len(out["error"]["details"]["errors"]) == 3
    code, out = run("push", str(src), "--dataset", "qa", "--max-errors", "1")
    assert "errors" not in out["error"]["details"]
    monkeypatch.setenv("DATASYNC_MAX_ERRORS", "many")
    code, out = run("push", str(src), "--dataset", "qa")
    assert code == 2 and out["error"]["code"] == "bad_option"
    assert "DATASYNC_MAX_ERRORS" in out["error"]["message"]
    assert store.list_datasets().items == ()


def test_hash_and_push_show_the_same_ids_by_default(
    run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write(tmp_path / "qa.jsonl", [{"id": "q1", "input": {"a": 1}}])
    assert main(["hash", str(src)]) == 0
    hashed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    run("push", str(src), "--dataset", "qa")
    _, diff = run("diff", str(src), "--dataset", "qa")
    assert [h["source_id"] for h in hashed] == ["q1"] and diff["summary"]["unchanged"] == 1
    # without an id key, "id" is content (metadata) and the identity is the content hash
    assert main(["hash", str(src), "--no-source-id"]) == 0
    by_content = json.loads(capsys.readouterr().out)
    assert by_content["source_id"] == by_content["hash"] != hashed[0]["hash"]
    _, diff = run("diff", str(src), "--dataset", "qa", "--no-source-id")
    assert diff["delete"] == ["q1"] and diff["create"] == [by_content["hash"]]
