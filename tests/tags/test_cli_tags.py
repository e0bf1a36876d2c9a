"""``datasync tag``/``untag``, ``ls``/``log`` filters, ``log`` tag history, ``pull --tag`` and
``--where``, ``push --dataset-tag``: embedded (--store) and through a live server (--server),
asserting on the store's state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datasync.store import Store
from tests.cli.conftest import Run, write
from tests.client.conftest import rows


@pytest.fixture
def qa(run: Run, tmp_path: Path) -> list[int]:
    """Dataset qa with two versions; their ids, oldest first."""
    ids = []
    for n in (3, 5):
        code, out = run("push", str(write(tmp_path / f"v{n}.jsonl", rows(n))), "--dataset", "qa")
        assert code == 0
        ids.append(out["version_id"])
    return ids


def test_tag_and_untag_a_dataset(run: Run, store: Store, qa: list[int]) -> None:
    code, out = run("tag", "qa", "env=prod", "team=ml")
    assert code == 0 and out == {
        "target": out["target"],
        "dataset": "qa",
        "version_id": None,
        "tags": {"env": "prod", "team": "ml"},
    }
    assert out["target"]
    code, out = run("untag", "qa", "team", "absent")
    assert code == 0 and out["tags"] == {"env": "prod"}
    assert store.get_dataset("qa").tags == {"env": "prod"}
    code, out = run("tag", "qa")
    assert (code, out["tags"]) == (0, {"env": "prod"})


def test_tag_replace_is_idempotent(run: Run, store: Store, qa: list[int]) -> None:
    run("tag", "qa", "env=dev", "team=ml")
    for _ in range(2):
        code, out = run("tag", "--replace", "qa", "owner=ana")
        assert (code, out["tags"]) == (0, {"owner": "ana"})
    assert store.get_dataset("qa").tags == {"owner": "ana"}
    assert len(store.tag_history("qa").items) == 2


def test_tag_a_version_by_id_and_head(run: Run, store: Store, qa: list[int]) -> None:
    first, second = qa
    code, out = run("tag", f"qa@{first}", "release=2026-11")
    assert (code, out["version_id"]) == (0, first)
    run("tag", "qa@head", "stage=final")
    assert store.get_version("qa", first).tags == {"release": "2026-11"}
    assert store.get_version("qa", second).tags == {"stage": "final"}
    assert store.get_dataset("qa").tags == {}
    code, _ = run("untag", f"qa@{first}", "release")
    assert code == 0 and store.get_version("qa", first).tags == {}


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["tag", "qa", "Env=prod"], "Env"),
        (["tag", "qa", "datasync.owner=me"], "datasync.owner"),
        (["tag", "qa", f"long={'v' * 257}"], "long"),
        (["untag", "qa", "Bad Key"], "Bad Key"),
    ],
)
def test_bad_tags_exit_1_naming_the_tag_and_change_nothing(
    run: Run, store: Store, qa: list[int], argv: list[str], named: str
) -> None:
    run("tag", "qa", "keep=me")
    code, out = run(*argv)
    assert code == 1
    assert out["error"]["kind"] == "tag" and named in out["error"]["message"]
    assert store.get_dataset("qa").tags == {"keep": "me"}


def test_bad_targets_are_errors(run: Run, qa: list[int]) -> None:
    assert run("tag", "qa@", "a=b")[0] == 2
    assert run("tag", "qa@v1", "a=b")[0] == 2
    assert run("tag", "qa@999999", "a=b")[0] == 1
    assert run("tag", "nope", "a=b")[0] == 1
    with pytest.raises(SystemExit) as info:
        run("tag", "qa", "novalue")
    assert info.value.code == 2


def test_ls_filters_with_tag_and_has_tag(run: Run, tmp_path: Path) -> None:
    src = write(tmp_path / "d.jsonl", rows(1))
    for name, tags in [("a", ["env=prod", "batch=1"]), ("b", ["env=prod"]), ("c", ["batch=2"])]:
        flags = [x for t in tags for x in ("--dataset-tag", t)]
        assert run("push", str(src), "--dataset", name, *flags)[0] == 0

    def names(*flags: str) -> list[str]:
        code, out = run("ls", *flags)
        assert code == 0
        return [d["name"] for d in out["datasets"]]

    assert names("--tag", "env=prod") == ["a", "b"]
    assert names("--tag", "env=prod", "--has-tag", "batch") == ["a"]
    assert names("--has-tag", "batch") == ["a", "c"]
    assert names("--tag", "env=prod", "--tag", "batch=2") == []
    assert names() == ["a", "b", "c"]


def test_push_dataset_tag_tags_the_dataset_and_tag_tags_the_version(
    run: Run, store: Store, tmp_path: Path
) -> None:
    src = write(tmp_path / "d.jsonl", rows(2))
    code, _ = run(
        "push", str(src), "--dataset", "qa", "--tag", "release=r1", "--dataset-tag", "env=ci"
    )
    assert code == 0
    assert store.get_dataset("qa").tags == {"env": "ci"}
    assert store.get_version("qa").tags == {"release": "r1"}


def test_log_filters_versions_by_tag(run: Run, qa: list[int]) -> None:
    first, second = qa
    run("tag", f"qa@{first}", "release=2026-11")
    code, out = run("log", "qa", "--tag", "release=2026-11")
    assert (code, [v["id"] for v in out["versions"]]) == (0, [first])
    assert [v["id"] for v in run("log", "qa", "--has-tag", "release")[1]["versions"]] == [first]
    assert [v["id"] for v in run("log", "qa")[1]["versions"]] == [second, first]


def test_log_shows_the_tag_history(run: Run, qa: list[int]) -> None:
    run("tag", "qa", "env=prod", "team=ml")
    run("untag", "qa", "team")
    run("tag", f"qa@{qa[0]}", "release=2026-11")
    code, out = run("log", "qa", as_json=False)
    assert code == 0
    lines = [line.strip() for line in out.splitlines() if "tags: " in line]
    assert len(lines) == 3
    assert lines[0].endswith(f"version {qa[0]}        tags: +release=2026-11")
    assert lines[1].endswith("dataset          tags: -team")
    assert lines[2].endswith("dataset          tags: +env=prod +team=ml")


def test_pull_fetches_the_version_with_a_tag(run: Run, qa: list[int], tmp_path: Path) -> None:
    run("tag", f"qa@{qa[0]}", "release=2026-11")
    out_file = tmp_path / "out.jsonl"
    code, _ = run("pull", "qa", "--tag", "release=2026-11", "-o", str(out_file), as_json=False)
    assert code == 0
    pulled = [json.loads(line)["id"] for line in out_file.read_text().splitlines()]
    assert pulled == [r["id"] for r in rows(3)]
    code, _ = run("pull", "qa", "--tag", "release=2027", "-o", str(out_file), as_json=False)
    assert code == 1
    assert len(out_file.read_text().splitlines()) == 3  # the failed pull wrote nothing


def test_pull_where_filters_by_metadata_with_and(run: Run, tmp_path: Path) -> None:
    data = [
        {"id": "a", "input": {"q": 1}, "metadata": {"split": "test", "lang": "en"}},
        {"id": "b", "input": {"q": 2}, "metadata": {"split": "test", "lang": "fr"}},
        {"id": "c", "input": {"q": 3}, "metadata": {"split": "train", "lang": "en"}},
        {"id": "d", "input": {"q": 4}, "metadata": {"split": "it's 100%_", "lang": "en"}},
    ]
    run("push", str(write(tmp_path / "d.jsonl", data)), "--dataset", "qa")
    out_file = tmp_path / "out.jsonl"

    def pulled(*where: str) -> list[str]:
        flags = [x for w in where for x in ("--where", w)]
        code, _ = run("pull", "qa", *flags, "-o", str(out_file), as_json=False)
        assert code == 0
        return [json.loads(line)["id"] for line in out_file.read_text().splitlines()]

    assert pulled("split=test") == ["a", "b"]
    assert pulled("split=test", "lang=en") == ["a"]
    assert pulled("split=it's 100%_") == ["d"]
    assert pulled("split=it's 100%") == []
