"""``datasync rm`` and ``datasync mv`` end to end, embedded and remote, asserting on the store."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from datasync.cli import main
from datasync.store import Store
from datasync.sync import ExampleData
from tests.cli.conftest import Run, write
from tests.client.conftest import rows


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rm_with_yes_deletes_and_reports(run: Run, store: Store, tmp_path: Path) -> None:
    run("push", str(write(tmp_path / "qa.jsonl", rows(5))), "--dataset", "qa")
    code, out = run("rm", "qa", "--yes")
    assert code == 0
    assert out == {"deleted": "qa", "dataset_id": 1, "versions": 1, "examples": 5, "experiments": 0}
    assert store.list_datasets().items == ()
    code, out = run("rm", "qa", "--yes")
    assert code == 1 and out["error"]["code"] == "dataset_not_found"


def test_rm_without_yes_and_without_a_terminal_deletes_nothing(
    run: Run, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("push", str(write(tmp_path / "qa.jsonl", rows(2))), "--dataset", "qa")
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    code, out = run("rm", "qa")
    assert code == 2 and out["error"]["code"] == "not_confirmed"
    assert store.get_version("qa").total == 2


@pytest.mark.parametrize(("answer", "kept"), [("y\n", False), ("n\n", True), ("\n", True)])
def test_rm_asks_on_a_terminal(
    run: Run,
    store: Store,
    tmp_path: Path,
    target: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer: str,
    kept: bool,
) -> None:
    run("push", str(write(tmp_path / "qa.jsonl", rows(2))), "--dataset", "qa")
    monkeypatch.setattr("sys.stdin", _Terminal(answer))
    code = main(["rm", "qa", *target])
    assert "delete dataset 'qa' (id 1): 1 version(s), 2 example(s)" in capsys.readouterr().err
    assert (code, [d.name for d in store.list_datasets().items]) == (
        (2, ["qa"]) if kept else (0, [])
    )


def test_rm_refuses_a_dataset_with_experiments_unless_force(run: Run, store: Store) -> None:
    result = store.snapshot("qa", [ExampleData("a", {"q": 1})])
    store.create_experiment("qa", result.version_id, "x", "version:1", {})
    code, out = run("rm", "qa", "--yes")
    assert code == 1 and out["error"]["code"] == "dataset_in_use"
    assert store.get_version("qa").total == 1
    code, out = run("rm", "qa", "--yes", "--force")
    assert code == 0 and out["experiments"] == 1
    assert store.list_datasets().items == () and store.list_experiments().items == ()


def test_mv_renames_and_history_follows(run: Run, store: Store, tmp_path: Path) -> None:
    src = write(tmp_path / "qa.jsonl", rows(3))
    run("push", str(src), "--dataset", "qa", "--tag", "release=r1")
    code, out = run("mv", "qa", "qa-old")
    assert code == 0 and out == {"dataset": "qa-old", "dataset_id": 1, "renamed_from": "qa"}
    assert store.get_version("qa-old").tags == {"release": "r1"}
    _, again = run("push", str(src), "--dataset", "qa-old")
    assert again["no_op"]
    run("push", str(src), "--dataset", "qa")
    code, out = run("mv", "qa", "qa-old")
    assert code == 1 and out["error"]["code"] == "dataset_exists"
    code, text = run("mv", "qa", "qa-new", as_json=False)
    assert code == 0 and text == "renamed qa -> qa-new (id 2)\n"
    assert sorted(d.name for d in store.list_datasets().items) == ["qa-new", "qa-old"]


def test_rm_and_mv_answer_help() -> None:
    for command in ("rm", "mv"):
        with pytest.raises(SystemExit) as exc:
            main([command, "--help"])
        assert exc.value.code == 0
