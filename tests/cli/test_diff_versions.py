"""``datasync diff NAME@A NAME@B`` and ``datasync diff NAME@V SOURCE``, embedded and through a
live server, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from datasync.store import Store
from tests.cli.conftest import Run, write


def _two_versions(tmp_path: Path, run: Run) -> tuple[int, int]:
    first = [
        {"id": "q1", "input": {"q": "2+2"}, "output": {"a": "4"}},
        {"id": "q2", "input": {"q": "x"}, "output": {"a": "y"}},
    ]
    second = [
        {"id": "q1", "input": {"q": "2+2"}, "output": {"a": "four"}, "metadata": {"s": "t"}},
        {"id": "q3", "input": {"q": "new"}},
    ]
    _, v1 = run("push", str(write(tmp_path / "v1.jsonl", first)), "--dataset", "qa")
    _, v2 = run("push", str(write(tmp_path / "v2.jsonl", second)), "--dataset", "qa")
    return v1["version_id"], v2["version_id"]


def test_diff_of_two_versions_prints_changed_fields(tmp_path: Path, run: Run) -> None:
    v1, v2 = _two_versions(tmp_path, run)
    code, text = run("diff", f"qa@{v1}", f"qa@{v2}", as_json=False)
    assert code == 0
    assert text.splitlines() == [
        f"qa@{v1} -> qa@{v2}: created 1, patched 1, deleted 1, unchanged 0",
        "~ q1",
        '    $.output.a: "4" -> "four"',
        '    $.metadata.s: (absent) -> "t"',
        "- q2",
        "+ q3",
    ]


def test_diff_of_two_versions_as_json(tmp_path: Path, run: Run) -> None:
    v1, v2 = _two_versions(tmp_path, run)
    code, out = run("diff", f"qa@{v1}", "qa@head", "--exit-code")
    assert code == 3
    assert out["summary"] == {"created": 1, "patched": 1, "deleted": 1, "unchanged": 0}
    assert (out["a"]["id"], out["b"]["id"]) == (v1, v2)
    assert [(c["source_id"], c["kind"]) for c in out["changes"]] == [
        ("q1", "patch"),
        ("q2", "delete"),
        ("q3", "create"),
    ]
    assert out["changes"][0]["fields"] == [
        {"path": "$.output.a", "op": "replace", "old": "4", "new": "four"},
        {"path": "$.metadata.s", "op": "add", "new": "t"},
    ]
    code, same = run("diff", f"qa@{v2}", "qa@head", "--exit-code")
    assert code == 0 and same["changes"] == []


def test_a_source_against_an_older_version(tmp_path: Path, run: Run, store: Store) -> None:
    v1, _ = _two_versions(tmp_path, run)
    code, out = run("diff", f"qa@{v1}", str(tmp_path / "v2.jsonl"))
    assert code == 0
    assert (out["create"], out["patch"], out["delete"]) == (["q3"], ["q1"], ["q2"])
    code, same = run("diff", str(tmp_path / "v2.jsonl"), "--dataset", "qa@head")
    assert same["summary"]["unchanged"] == 2
    code, older = run("diff", str(tmp_path / "v1.jsonl"), "--dataset", f"qa@{v1}")
    assert older["summary"] == {"created": 0, "patched": 0, "deleted": 0, "unchanged": 2}
    assert len(store.list_versions("qa").items) == 2  # nothing was written


def test_version_diff_errors(tmp_path: Path, run: Run) -> None:
    v1, _ = _two_versions(tmp_path, run)
    code, out = run("diff", f"qa@{v1}", "qa@999")
    assert (code, out["error"]["code"]) == (1, "version_not_found")
    code, out = run("diff", f"qa@{v1}", f"other@{v1}")
    assert (code, out["error"]["code"]) == (2, "bad_target")
    code, out = run("diff", str(tmp_path / "v1.jsonl"))
    assert (code, out["error"]["code"]) == (2, "bad_option")
