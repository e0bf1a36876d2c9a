"""``datasync push`` and ``diff`` end to end, embedded (--store) and remote (--server), asserting
on the store's state; exit codes 0/1/2/3."""

from __future__ import annotations

from pathlib import Path

import pytest

from datasync.cli import main
from datasync.store import Store
from tests.cli.conftest import Run, write
from tests.client.conftest import rows


def test_push_json_reports_the_new_version(run: Run, store: Store, tmp_path: Path) -> None:
    src = write(tmp_path / "qa.jsonl", rows(50))
    code, out = run("push", str(src), "--dataset", "qa", "-m", "first", "--tag", "env=ci")
    assert code == 0
    assert set(out) == {
        "dataset",
        "dataset_id",
        "version",
        "version_id",
        "base_version_id",
        "no_op",
        "summary",
        "bytes_sent",
        "bytes_received",
        "seconds",
        "target",
        "store_created",
    }
    assert out["store_created"] is False  # the test's store exists already
    assert out["summary"] == {"created": 50, "patched": 0, "deleted": 0, "unchanged": 0}
    head = store.get_version("qa")
    assert (head.id, head.total, head.message, head.tags) == (
        out["version_id"],
        50,
        "first",
        {"env": "ci"},
    )


def test_repush_is_a_noop_with_tiny_bytes(
    run: Run, store: Store, tmp_path: Path, target: list[str]
) -> None:
    src = write(tmp_path / "qa.jsonl", rows(500))
    _, first = run("push", str(src), "--dataset", "qa")
    code, again = run("push", str(src), "--dataset", "qa")
    assert code == 0 and again["no_op"] and again["version_id"] == first["version_id"]
    assert len(store.list_versions("qa").items) == 1
    if target[0] == "--server":
        assert 0 < again["bytes_sent"] + again["bytes_received"] < 4096
        assert first["bytes_sent"] > 5 * (again["bytes_sent"] + again["bytes_received"])
    else:
        assert again["bytes_sent"] == again["bytes_received"] == 0


def test_dry_run_exit_code_three_on_drift_and_nothing_written(
    run: Run, store: Store, tmp_path: Path
) -> None:
    src = write(tmp_path / "qa.jsonl", rows(30))
    run("push", str(src), "--dataset", "qa")
    assert run("push", str(src), "--dataset", "qa", "--dry-run", "--exit-code")[0] == 0
    write(src, rows(31))
    code, out = run("push", str(src), "--dataset", "qa", "--dry-run", "--exit-code")
    assert code == 3 and out["summary"]["created"] == 1
    assert run("push", str(src), "--dataset", "qa", "--dry-run")[0] == 0  # no --exit-code
    assert store.get_version("qa").total == 30 and len(store.list_versions("qa").items) == 1


def test_exit_code_without_dry_run_is_usage(run: Run, tmp_path: Path) -> None:
    src = write(tmp_path / "qa.jsonl", rows(3))
    with pytest.raises(SystemExit) as exc:
        run("push", str(src), "--dataset", "qa", "--exit-code")
    assert exc.value.code == 2


def test_bad_source_sends_nothing_and_names_the_line(
    run: Run, store: Store, tmp_path: Path
) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text('{"id": "a", "input": {}}\n{"id": "b", "input": {}}\n{"id": "c", "input": [\n')
    code, out = run("push", str(src), "--dataset", "qa")
    assert code == 1
    assert (out["error"]["kind"], out["error"]["code"]) == ("source", "invalid_json")
    assert out["error"]["details"]["location"] == f"{src}:3:23"
    assert out["error"]["message"].startswith(f"{src}:3:23: ")
    assert store.list_datasets().items == ()  # not even the dataset was created


def test_bad_source_without_json_is_exit_1_on_stderr(
    store: Store, tmp_path: Path, target: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    src = write(tmp_path / "dup.jsonl", [*rows(3), rows(1)[0]])
    code = main(["push", str(src), "--dataset", "qa", *target])
    err = capsys.readouterr().err
    assert code == 1 and "duplicate_source_id" in err and "dup.jsonl:4" in err
    assert store.list_datasets().items == ()


def test_diff_lists_ids_per_kind(run: Run, tmp_path: Path) -> None:
    src = write(tmp_path / "qa.jsonl", rows(10))
    run("push", str(src), "--dataset", "qa")
    edited = rows(10)[1:] + rows(1, start=20)
    edited[0]["output"] = {"answer": "?"}
    write(src, edited)
    code, out = run("diff", str(src), "--dataset", "qa")
    assert code == 0
    assert (out["create"], out["patch"], out["delete"]) == (["e00020"], ["e00001"], ["e00000"])
    assert out["summary"]["unchanged"] == 8
    code, text = run("diff", str(src), "--dataset", "qa", "--exit-code", as_json=False)
    assert code == 3 and "+ e00020" in text and "~ e00001" in text and "- e00000" in text


def test_append_mode_from_the_cli_keeps_missing_ids(run: Run, store: Store, tmp_path: Path) -> None:
    run("push", str(write(tmp_path / "a.jsonl", rows(10))), "--dataset", "qa")
    code, out = run(
        "push",
        str(write(tmp_path / "b.jsonl", rows(2, start=50))),
        "--dataset",
        "qa",
        "--mode",
        "append",
    )
    assert code == 0 and out["summary"] == {
        "created": 2,
        "patched": 0,
        "deleted": 0,
        "unchanged": 10,
    }
    assert store.get_version("qa").total == 12
