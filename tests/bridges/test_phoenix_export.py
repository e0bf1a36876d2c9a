"""``datasync export NAME[@V] phoenix URL`` against a real Phoenix server: Phoenix's stored
content hashes and its own hashing function agree with datasync's, unchanged re-exports and
round trips change nothing on either side, a 1% edit changes exactly those examples, and the
error cases write nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from datasync.canonical import content_hash
from datasync.client import Client, export_to_phoenix
from datasync.sources import PhoenixAPI
from datasync.store import Store
from tests.bridges.conftest import (
    create_with_phoenix_client,
    phoenix_hashes,
    phoenix_version_count,
    stored_hashes,
    varied_rows,
)
from tests.bridges.phoenix_server import PhoenixServer
from tests.cli.conftest import Run, write

ONE_BACKEND = pytest.mark.parametrize(("store_url", "target"), [("sqlite", "store")], indirect=True)


def _sha(rows: list[dict[str, Any]]) -> dict[str, str]:
    return {
        r["id"]: content_hash(r["input"], r["output"], r["metadata"], scheme="sha256-128")
        for r in rows
    }


def _push(run: Run, tmp_path: Path, name: str, rows: list[dict[str, Any]]) -> int:
    code, out = run("push", str(write(tmp_path / f"{name}.jsonl", rows)), "--dataset", name)
    assert code == 0, out
    return int(out["version_id"])


def _export(run: Run, phoenix: PhoenixServer, target: str, *args: str) -> tuple[int, Any]:
    key = phoenix.api_key or ""
    return run("export", target, "phoenix", phoenix.url, "--api-key", key, *args)


def _phoenix_rows(phoenix: PhoenixServer, name: str) -> list[dict[str, Any]]:
    with PhoenixAPI(phoenix.url, phoenix.api_key) as api:
        dataset = api.dataset(name)
        version = api.version(dataset, None)
        assert version is not None
        body = api.rows_jsonl(dataset.id, version)
    return [json.loads(line) for line in body.splitlines()]


def test_export_creates_the_phoenix_dataset_and_every_hash_matches_phoenixs_own(
    run: Run, store: Store, phoenix: PhoenixServer, name: str, tmp_path: Path
) -> None:
    rows = varied_rows(1200)
    _push(run, tmp_path, name, rows)

    code, out = _export(run, phoenix, name)

    assert code == 0, out
    assert out["ok"] is True and out["mismatches"] == []
    assert out["checked"] == 1200
    assert out["summary"] == {"created": 1200, "patched": 0, "deleted": 0, "unchanged": 0}
    assert out["phoenix_counts"] == {"created": 1200, "updated": 0, "deleted": 0}
    # The hash Phoenix computed and stored for each example is datasync's sha256-128 ...
    assert stored_hashes(phoenix, name) == _sha(rows)
    # ... and so is Phoenix's own hashing function over what Phoenix returns.
    back = _phoenix_rows(phoenix, name)
    assert {r["id"] for r in back} == {r["id"] for r in rows}
    assert dict(zip((r["id"] for r in back), phoenix_hashes(phoenix, back), strict=True)) == _sha(
        rows
    )


def test_reexport_of_an_unchanged_version_changes_nothing_in_phoenix(
    run: Run, store: Store, phoenix: PhoenixServer, name: str, tmp_path: Path
) -> None:
    _push(run, tmp_path, name, varied_rows(200))
    assert _export(run, phoenix, name)[0] == 0
    versions = phoenix_version_count(phoenix, name)

    code, out = _export(run, phoenix, name)

    assert code == 0
    assert out["sent"] is False
    assert out["summary"] == {"created": 0, "patched": 0, "deleted": 0, "unchanged": 200}
    assert out["checked"] == 200 and out["ok"] is True
    assert phoenix_version_count(phoenix, name) == versions


@ONE_BACKEND
def test_a_one_percent_edit_changes_exactly_those_examples_in_phoenix(
    run: Run, store: Store, phoenix: PhoenixServer, name: str, tmp_path: Path
) -> None:
    rows = varied_rows(1000)
    _push(run, tmp_path, name, rows)
    assert _export(run, phoenix, name)[0] == 0
    before = stored_hashes(phoenix, name)
    for row in rows[:6]:  # 0.6% patched, 0.2% deleted, 0.2% created
        row["output"] = {"answer": "edited ✎", "v": 2.5}
    deleted = [r["id"] for r in rows[500:502]]
    rows = [r for r in rows if r["id"] not in deleted]
    rows += [{**r, "id": f"new-{i}"} for i, r in enumerate(varied_rows(2))]
    _push(run, tmp_path, name, rows)

    code, out = _export(run, phoenix, name)

    assert code == 0 and out["ok"] is True
    assert out["summary"] == {"created": 2, "patched": 6, "deleted": 2, "unchanged": 992}
    assert out["phoenix_counts"] == {"created": 2, "updated": 6, "deleted": 2}
    after = stored_hashes(phoenix, name)
    assert after == _sha(rows)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {f"ex-{i:05d}" for i in range(6)} | set(deleted) | {"new-0", "new-1"}


@ONE_BACKEND
def test_dry_run_reports_what_phoenix_would_receive_and_sends_nothing(
    run: Run, store: Store, phoenix: PhoenixServer, name: str, tmp_path: Path
) -> None:
    rows = varied_rows(100)
    _push(run, tmp_path, name, rows)

    code, out = _export(run, phoenix, name, "--dry-run", "--exit-code")

    assert code == 3
    assert out["dry_run"] is True and out["sent"] is False
    assert out["summary"]["created"] == 100
    assert out["upload_bytes"] > 100 * 50
    with PhoenixAPI(phoenix.url, phoenix.api_key) as api:
        assert api.find_dataset(name) is None
    assert _export(run, phoenix, name)[0] == 0
    code, out = _export(run, phoenix, name, "--dry-run", "--exit-code")
    assert code == 0
    assert out["summary"]["unchanged"] == 100


@ONE_BACKEND
def test_an_older_version_exports_with_name_at_version(
    run: Run, store: Store, phoenix: PhoenixServer, name: str, tmp_path: Path
) -> None:
    rows = varied_rows(50)
    first = _push(run, tmp_path, name, rows)
    _push(run, tmp_path, name, rows[:40])

    code, out = _export(run, phoenix, f"{name}@{first}", "--phoenix-dataset", f"{name}-v1")

    assert code == 0 and out["checked"] == 50
    assert stored_hashes(phoenix, f"{name}-v1") == _sha(rows)


def test_round_trip_import_export_import_is_a_no_op_on_both_sides(
    run: Run, store: Store, phoenix: PhoenixServer, name: str
) -> None:
    create_with_phoenix_client(phoenix, name, varied_rows(300, ids=False))  # node ids
    key = ["--api-key", phoenix.api_key or ""]
    assert run("import", "phoenix", phoenix.url, "--dataset", name, *key)[0] == 0
    head = store.get_version(name).id
    phoenix_versions = phoenix_version_count(phoenix, name)

    code, out = _export(run, phoenix, name)
    assert code == 0 and out["ok"] is True
    assert out["summary"]["unchanged"] == 300 and out["sent"] is False
    code, out = run("import", "phoenix", phoenix.url, "--dataset", name, *key)
    assert code == 0 and out["no_op"] is True

    assert store.get_version(name).id == head
    assert phoenix_version_count(phoenix, name) == phoenix_versions


@ONE_BACKEND
def test_unreachable_phoenix_and_a_wrong_key_write_nothing(
    run: Run, store: Store, phoenix: PhoenixServer, name: str, tmp_path: Path
) -> None:
    _push(run, tmp_path, name, varied_rows(10))
    code, out = run("export", name, "phoenix", "http://127.0.0.1:9")
    assert (code, out["error"]["code"]) == (1, "phoenix_unreachable")
    code, out = run("export", name, "phoenix", phoenix.url, "--api-key", "wrong")
    assert (code, out["error"]["code"]) == (1, "phoenix_unauthorized")
    with PhoenixAPI(phoenix.url, phoenix.api_key) as api:
        assert api.find_dataset(name) is None


@ONE_BACKEND
def test_unknown_dataset_or_version_is_not_found(
    run: Run, store: Store, phoenix: PhoenixServer, name: str, tmp_path: Path
) -> None:
    code, out = _export(run, phoenix, "no-such-dataset")
    assert (code, out["error"]["kind"]) == (1, "not_found")
    _push(run, tmp_path, name, varied_rows(10))
    code, out = _export(run, phoenix, f"{name}@999999")
    assert (code, out["error"]["kind"]) == (1, "not_found")


@ONE_BACKEND
def test_an_integer_beyond_64_bits_travels_as_the_double_it_stands_for(
    run: Run, store: Store, phoenix: PhoenixServer, name: str, tmp_path: Path
) -> None:
    # Phoenix's JSON columns cannot store 10**30 (its upload fails with HTTP 500); content
    # hash v1 holds it as the double 1e30, whose canonical form (and so hash) is the same.
    rows = varied_rows(10)
    rows[4]["metadata"]["wide"] = 10**30
    rows[5]["input"]["wide"] = [-(10**21)]
    _push(run, tmp_path, name, rows)

    code, out = _export(run, phoenix, name)

    assert code == 0 and out["ok"] is True, out
    assert stored_hashes(phoenix, name) == _sha(rows)
    back = {r["id"]: r for r in _phoenix_rows(phoenix, name)}
    assert back["ex-00004"]["metadata"]["wide"] == 1e30


@ONE_BACKEND
def test_node_ids_of_another_phoenix_dataset_are_refused_before_anything_is_sent(
    run: Run, store: Store, phoenix: PhoenixServer, name: str
) -> None:
    create_with_phoenix_client(phoenix, name, varied_rows(5, ids=False))  # node ids
    key = ["--api-key", phoenix.api_key or ""]
    assert run("import", "phoenix", phoenix.url, "--dataset", name, *key)[0] == 0

    code, out = _export(run, phoenix, name, "--phoenix-dataset", f"{name}-copy")

    assert (code, out["error"]["code"]) == (1, "phoenix_foreign_id")
    assert len(out["error"]["details"]["ids"]) == 5
    with PhoenixAPI(phoenix.url, phoenix.api_key) as api:
        assert api.find_dataset(f"{name}-copy") is None


def _set_input_behind_phoenixs_back(phoenix: PhoenixServer, dataset: str, example: str) -> None:
    """Change an example's stored content in Phoenix's SQLite file and leave its stored
    content hash as it was: Phoenix's own diff (which trusts the stored hash) then sees no
    change, while what Phoenix returns differs from what datasync sent."""
    with sqlite3.connect(phoenix.database) as db:
        db.execute(
            "UPDATE dataset_example_revisions SET input = ? WHERE dataset_example_id = ("
            " SELECT e.id FROM dataset_examples e JOIN datasets d ON d.id = e.dataset_id"
            " WHERE d.name = ? AND e.external_id = ?)",
            ('{"question": "tampered"}', dataset, example),
        )


@ONE_BACKEND
def test_a_difference_read_back_from_phoenix_is_reported_by_id_and_exits_1(
    run: Run,
    store: Store,
    store_url: str,
    phoenix: PhoenixServer,
    name: str,
    tmp_path: Path,
) -> None:
    rows = varied_rows(40)
    _push(run, tmp_path, name, rows)
    assert _export(run, phoenix, name)[0] == 0
    _set_input_behind_phoenixs_back(phoenix, name, "ex-00017")

    code, out = _export(run, phoenix, name)

    assert code == 1
    assert out["ok"] is False
    assert out["summary"]["patched"] == 1  # datasync saw the difference and sent the fix,
    assert out["phoenix_counts"]["updated"] == 0  # Phoenix's diff (stored hash) did not
    (mismatch,) = out["mismatches"]
    assert mismatch["id"] == "ex-00017"
    assert mismatch["expected"] == _sha(rows)["ex-00017"]
    tampered = ({"question": "tampered"}, rows[17]["output"], rows[17]["metadata"])
    assert mismatch["found"] == content_hash(*tampered, scheme="sha256-128")
    with Client(store=store_url) as client:  # the Python API says the same
        report = export_to_phoenix(client, name, phoenix.url, api_key=phoenix.api_key)
    assert [m.id for m in report.mismatches] == ["ex-00017"]
