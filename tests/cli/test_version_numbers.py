"""Versions are numbered per dataset: with two datasets pushed in turn, ``log``, ``pull
--version``, ``NAME@VERSION`` and ``--json`` all use 1, 2, ... of each dataset, embedded and
through a server."""

from __future__ import annotations

import json
from pathlib import Path

from datasync.store import Store
from tests.cli.conftest import Run, write
from tests.client.conftest import rows


def test_versions_are_numbered_per_dataset_everywhere(
    run: Run, store: Store, tmp_path: Path
) -> None:
    src = tmp_path / "data.jsonl"
    pushed = []
    for name, n in (("qa", 3), ("other", 4), ("qa", 5), ("other", 2), ("qa", 1)):
        code, report = run("push", str(write(src, rows(n))), "--dataset", name)
        assert code == 0, report
        pushed.append((name, report["version"], report["version_id"], report["base_version_id"]))
    assert pushed == [
        ("qa", 1, 1, None),
        ("other", 1, 1, None),
        ("qa", 2, 2, 1),
        ("other", 2, 2, 1),
        ("qa", 3, 3, 2),
    ]
    code, out = run("log", "qa")
    log = out["versions"]
    assert code == 0
    assert [(v["version"], v["id"], v["parent_id"], v["total"]) for v in log] == [
        (3, 3, 2, 1),
        (2, 2, 1, 5),
        (1, 1, None, 3),
    ]
    code, text = run("pull", "qa", "--version", "1", as_json=False)
    assert code == 0 and [json.loads(line) for line in text.splitlines()] == rows(3)
    code, tags = run("tag", "other@1", "stage=first")
    assert code == 0 and tags["version_id"] == 1
    assert store.get_version("other", 1).tags == {"stage": "first"}
    assert store.get_version("qa", 1).tags == {}
    code, _ = run("pull", "other", "--version", "3", as_json=False)
    assert code == 1
    code, text = run("log", "qa", as_json=False)
    assert code == 0 and "3 version(s)" in text
