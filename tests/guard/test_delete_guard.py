"""The mass-delete guard: an empty or truncated source cannot wipe a dataset, in the CLI, the
Python client (embedded and remote), and in the store itself (the limit in the commit header),
so a re-plan after a conflict cannot slip past it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from datasync import Client, DeleteGuardError
from datasync.cli import main
from datasync.errors import UsageError, ValidationError
from datasync.store import Store
from datasync.sync import ChangeKind, CommitHeader, DeleteLimit, check_deletes
from tests.client.conftest import MakeClient, rows
from tests.server.conftest import StartServer
from tests.server.helpers import NDJSON, ndjson
from tests.server.helpers import op as wire_op
from tests.store.helpers import creates, op


def write(path: Path, data: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in data))
    return path


def push(capsys: pytest.CaptureFixture[str], store_url: str, *argv: str) -> tuple[int, Any]:
    code = main(["push", *argv, "--store", store_url, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


# --- the rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("50%", DeleteLimit(fraction=0.5)),
        ("100%", DeleteLimit(fraction=1.0)),
        ("12.5%", DeleteLimit(fraction=0.125)),
        ("100", DeleteLimit(count=100)),
        (7, DeleteLimit(count=7)),
        (0.25, DeleteLimit(fraction=0.25)),
    ],
)
def test_limits_parse_from_percentages_counts_and_fractions(
    text: object, limit: DeleteLimit
) -> None:
    assert DeleteLimit.parse(text) == limit
    assert DeleteLimit.from_wire(limit.to_wire()) == limit


@pytest.mark.parametrize("bad", ["", "-1", "101%", "half", "5 %", 1.5, -0.1, -3, True, None])
def test_bad_limits_are_usage_errors(bad: object) -> None:
    with pytest.raises(UsageError) as info:
        DeleteLimit.parse(bad)
    assert info.value.code == "bad_max_delete"


@pytest.mark.parametrize(
    "bad", [{"count": -1}, {"fraction": 2}, {"percent": 5}, 5, {"count": True}]
)
def test_bad_wire_limits_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        DeleteLimit.from_wire(bad)
    assert info.value.code == "bad_header"


def test_percentage_applies_from_ten_examples() -> None:
    half = DeleteLimit(fraction=0.5)
    check_deletes(half, 2, 1, 1)  # the seed's two-example loop
    check_deletes(half, 9, 8, 1)
    check_deletes(half, 10, 5, 5)
    with pytest.raises(DeleteGuardError) as info:
        check_deletes(half, 10, 6, 4)
    assert info.value.code == "too_many_deletes"
    assert info.value.details == {"deletes": 6, "total": 10, "after": 4, "max_delete": "50%"}


def test_empty_result_is_refused_at_any_size_unless_everything_is_allowed() -> None:
    for before in (1, 3, 50):
        with pytest.raises(DeleteGuardError) as info:
            check_deletes(DeleteLimit(fraction=0.99), before, before, 0)
        assert info.value.code == "empty_source"
    check_deletes(DeleteLimit(fraction=1.0), 50, 50, 0)
    check_deletes(DeleteLimit(count=50), 50, 50, 0)
    with pytest.raises(DeleteGuardError):
        check_deletes(DeleteLimit(count=49), 50, 50, 0)


# --- the CLI --------------------------------------------------------------------------------


def test_empty_source_is_refused_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str], store_url: str, store: Store, tmp_path: Path
) -> None:
    push(capsys, store_url, str(write(tmp_path / "qa.jsonl", rows(10))), "--dataset", "qa")
    empty = write(tmp_path / "empty.jsonl", [])
    code, out = push(capsys, store_url, str(empty), "--dataset", "qa")
    assert code == 1
    assert out["ok"] is False and out["error"]["code"] == "empty_source"
    assert "10 examples" in out["error"]["message"]
    assert "--max-delete 100%" in out["error"]["message"]
    assert store.get_version("qa").total == 10 and len(store.list_versions("qa").items) == 1


def test_truncated_source_is_refused_naming_the_counts_and_the_flag(
    capsys: pytest.CaptureFixture[str], store_url: str, store: Store, tmp_path: Path
) -> None:
    src = write(tmp_path / "qa.jsonl", rows(20))
    push(capsys, store_url, str(src), "--dataset", "qa")
    write(src, rows(9))
    code, out = push(capsys, store_url, str(src), "--dataset", "qa")
    assert (code, out["error"]["code"]) == (1, "too_many_deletes")
    assert "delete 11 of 20 examples" in out["error"]["message"]
    assert "--max-delete 50%" in out["error"]["message"]
    assert store.get_version("qa").total == 20
    code, out = push(capsys, store_url, str(src), "--dataset", "qa", "--max-delete", "11")
    assert code == 0 and out["summary"]["deleted"] == 11
    assert store.get_version("qa").total == 9


def test_max_delete_100_percent_allows_emptying(
    capsys: pytest.CaptureFixture[str], store_url: str, store: Store, tmp_path: Path
) -> None:
    push(capsys, store_url, str(write(tmp_path / "qa.jsonl", rows(12))), "--dataset", "qa")
    empty = write(tmp_path / "empty.jsonl", [])
    code, out = push(capsys, store_url, str(empty), "--dataset", "qa", "--max-delete", "100%")
    assert code == 0 and out["summary"]["deleted"] == 12
    assert store.get_version("qa").total == 0


def test_dry_run_reports_that_the_guard_would_stop_the_push(
    capsys: pytest.CaptureFixture[str], store_url: str, store: Store, tmp_path: Path
) -> None:
    push(capsys, store_url, str(write(tmp_path / "qa.jsonl", rows(10))), "--dataset", "qa")
    empty = str(write(tmp_path / "empty.jsonl", []))
    code, out = push(capsys, store_url, empty, "--dataset", "qa", "--dry-run")
    assert code == 1 and out["dry_run"] and out["summary"]["deleted"] == 10
    assert out["guard"]["code"] == "empty_source"
    code = main(["push", empty, "--dataset", "qa", "--store", store_url, "--dry-run"])
    assert code == 1
    assert "the push would stop here: [empty_source]" in capsys.readouterr().out
    assert len(store.list_versions("qa").items) == 1


def test_append_mode_with_an_empty_source_is_a_noop(
    capsys: pytest.CaptureFixture[str], store_url: str, store: Store, tmp_path: Path
) -> None:
    push(capsys, store_url, str(write(tmp_path / "qa.jsonl", rows(10))), "--dataset", "qa")
    empty = str(write(tmp_path / "empty.jsonl", []))
    code, out = push(capsys, store_url, empty, "--dataset", "qa", "--mode", "append")
    assert code == 0 and out["no_op"]


def test_bad_max_delete_is_a_usage_error(store_url: str, tmp_path: Path) -> None:
    src = str(write(tmp_path / "qa.jsonl", rows(1)))
    with pytest.raises(SystemExit) as exc:
        main(["push", src, "--dataset", "qa", "--store", store_url, "--max-delete", "150%"])
    assert exc.value.code == 2


# --- the Python client, embedded and remote ------------------------------------------------


def test_an_exhausted_generator_cannot_wipe_the_dataset(
    make_client: MakeClient, store: Store
) -> None:
    client = make_client()
    client.datasets.upsert_dataset("qa", rows(50))
    gone = iter(rows(50))
    list(gone)
    with pytest.raises(DeleteGuardError) as info:
        client.datasets.upsert_dataset("qa", gone)
    assert info.value.code == "empty_source"
    assert store.get_version("qa").total == 50
    done = client.datasets.upsert_dataset("qa", [], max_delete=1.0)
    assert done.total == 0 and done.summary.deleted == 50


def test_max_delete_takes_a_fraction_or_a_count(make_client: MakeClient, store: Store) -> None:
    client = make_client()
    client.datasets.upsert_dataset("qa", rows(40))
    with pytest.raises(DeleteGuardError):
        client.datasets.upsert_dataset("qa", rows(10), max_delete=0.5)
    assert client.datasets.upsert_dataset("qa", rows(10), max_delete=0.75).summary.deleted == 30
    with pytest.raises(DeleteGuardError):
        client.datasets.upsert_dataset("qa", rows(5), max_delete=4)
    assert client.datasets.upsert_dataset("qa", rows(5), max_delete="5").total == 5
    diff = client.datasets.diff("qa", [])
    assert diff.guard is not None and diff.guard.code == "empty_source"
    assert client.datasets.diff("qa", rows(4)).guard is None


def test_a_replan_after_a_conflict_is_guarded_again(make_client: MakeClient, store: Store) -> None:
    """Between this push's plan and its commit another push adds 30 examples; the re-plan
    would delete all of them (30 of 40): refused, nothing written."""
    client, other = make_client(), make_client()
    client.datasets.upsert_dataset("qa", rows(10))
    commit = client.backend.commit
    calls = 0

    def racing_commit(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            other.datasets.upsert_dataset("qa", rows(30, start=100), mode="append")
        return commit(*args, **kwargs)

    client.backend.commit = racing_commit  # type: ignore[method-assign]
    with pytest.raises(DeleteGuardError) as info:
        client.datasets.upsert_dataset("qa", rows(10, tag="!"))
    assert info.value.code == "too_many_deletes" and calls == 1
    assert store.get_version("qa").total == 40


# --- the store and the server check the declared limit -------------------------------------


def test_the_store_refuses_a_commit_over_its_declared_limit(store: Store) -> None:
    v1 = store.commit("qa", creates(20))
    deletes = [op(ChangeKind.DELETE, f"ex-{i:04d}") for i in range(11)]
    half = DeleteLimit(fraction=0.5)
    with pytest.raises(DeleteGuardError) as info:
        store.commit("qa", deletes, CommitHeader(v1.version_id, max_delete=half))
    assert info.value.code == "too_many_deletes"
    assert store.get_version("qa").id == v1.version_id
    every = [op(ChangeKind.DELETE, f"ex-{i:04d}") for i in range(20)]
    with pytest.raises(DeleteGuardError) as info:
        store.commit("qa", every, CommitHeader(v1.version_id, max_delete=DeleteLimit(count=19)))
    assert info.value.code == "empty_source"
    done = store.commit(
        "qa", deletes, CommitHeader(v1.version_id, max_delete=DeleteLimit(count=11))
    )
    assert done.deleted == 11 and store.get_version("qa").total == 9


def test_the_server_answers_422_delete_guard_and_writes_nothing(
    start_server: StartServer, store: Store
) -> None:
    api = start_server()
    v1 = store.commit("qa", creates(10))
    header = {**CommitHeader(v1.version_id).to_wire(), "max_delete": {"count": 2}}
    lines = [wire_op(ChangeKind.DELETE, f"ex-{i:04d}") for i in range(3)]
    response = api.post("/v1/datasets/qa/commits", content=ndjson(header, lines), headers=NDJSON)
    assert response.status_code == 422
    assert response.json()["error"]["kind"] == "delete_guard"
    assert response.json()["error"]["code"] == "too_many_deletes"
    assert store.get_version("qa").id == v1.version_id and store.get_version("qa").total == 10


def test_a_client_without_a_limit_is_not_guarded(make_client: MakeClient) -> None:
    client: Client = make_client()
    client.datasets.upsert_dataset("qa", rows(10))
    assert client.datasets.upsert_dataset("qa", rows(1), max_delete="100%").total == 1
