"""``datasync import phoenix`` and the ``phoenix://`` source against a real Phoenix server:
the store's contents after an import, no-op re-imports, pinned versions, and every error
case leaving the store as it was."""

from __future__ import annotations

import json
from typing import Any

import pytest

from datasync import SourceError
from datasync.canonical import canonicalize, content_hash
from datasync.cli import main
from datasync.client import Client
from datasync.sources import PhoenixAPI, phoenix_rows
from datasync.store import Store
from tests.bridges.conftest import (
    create_with_phoenix_client,
    phoenix_hashes,
    stored_hashes,
    varied_rows,
)
from tests.bridges.phoenix_server import PhoenixServer
from tests.cli.conftest import Run

#: One backend (embedded SQLite) for the tests that are about Phoenix, not about the store.
ONE_BACKEND = pytest.mark.parametrize(("store_url", "target"), [("sqlite", "store")], indirect=True)


def _contents(store: Store, dataset: str) -> dict[str, tuple[Any, Any, Any]]:
    """The head's examples, read from the store: ``{source_id: (input, output, metadata)}``."""
    out: dict[str, tuple[Any, Any, Any]] = {}
    cursor = None
    while True:
        page = store.iter_examples(dataset, limit=500, cursor=cursor)
        out.update({e.source_id: (e.input, e.output, e.metadata) for e in page.items})
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


def _import(run: Run, phoenix: PhoenixServer, *args: str) -> tuple[int, Any]:
    return run("import", "phoenix", phoenix.url, "--api-key", phoenix.api_key or "", *args)


def test_import_of_a_dataset_made_by_phoenix_client_holds_every_example(
    run: Run, store: Store, phoenix: PhoenixServer, name: str
) -> None:
    data = varied_rows(1200, ids=False)  # no ids: Phoenix names them by node id
    create_with_phoenix_client(phoenix, name, data)

    code, out = _import(run, phoenix, "--dataset", "from-phoenix", "--phoenix-dataset", name)

    assert code == 0, out
    assert out["summary"] == {"created": 1200, "patched": 0, "deleted": 0, "unchanged": 0}
    held = _contents(store, "from-phoenix")
    assert len(held) == 1200
    # Compared as canonical JSON: PostgreSQL's JSONB keeps neither key order nor the
    # int/float distinction, which content hash v1 does not see either.
    assert sorted(canonicalize(list(parts)) for parts in held.values()) == sorted(
        canonicalize([r["input"], r["output"], r["metadata"]]) for r in data
    )
    # Each source id is Phoenix's id, and each example's sha256-128 is the hash Phoenix
    # stored for it.
    ours = {sid: content_hash(*parts, scheme="sha256-128") for sid, parts in held.items()}
    assert ours == stored_hashes(phoenix, name)


def test_reimport_of_an_unchanged_phoenix_dataset_makes_no_version(
    run: Run, store: Store, phoenix: PhoenixServer, name: str
) -> None:
    create_with_phoenix_client(phoenix, name, varied_rows(50))
    assert _import(run, phoenix, "--dataset", name)[0] == 0
    head = store.get_version(name).id

    code, out = _import(run, phoenix, "--dataset", name)

    assert code == 0
    assert out["no_op"] is True
    assert out["summary"]["unchanged"] == 50
    assert store.get_version(name).id == head


@ONE_BACKEND
def test_import_follows_an_edit_in_phoenix_and_a_pinned_version_reads_the_old_one(
    run: Run, store: Store, phoenix: PhoenixServer, name: str
) -> None:
    data = varied_rows(100)
    create_with_phoenix_client(phoenix, name, data)
    with PhoenixAPI(phoenix.url, phoenix.api_key) as api:
        first = api.version(api.dataset(name), None)
        data[3]["output"] = {"answer": "changed ✓"}
        del data[7]
        api.send_upload(api.upload_body(name, data, "update"))
    assert first is not None

    code, out = _import(run, phoenix, "--dataset", name)
    assert code == 0
    assert out["summary"] == {"created": 99, "patched": 0, "deleted": 0, "unchanged": 0}
    assert _contents(store, name)["ex-00003"][1] == {"answer": "changed ✓"}

    code, out = _import(run, phoenix, "--dataset", name, "--version", first)
    assert code == 0
    assert out["summary"] == {"created": 1, "patched": 1, "deleted": 0, "unchanged": 98}
    assert "ex-00007" in _contents(store, name)


def test_push_and_upsert_dataset_read_a_phoenix_uri(
    phoenix: PhoenixServer,
    name: str,
    store_url: str,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    create_with_phoenix_client(phoenix, name, varied_rows(30))
    monkeypatch.setenv("PHOENIX_API_KEY", phoenix.api_key or "")
    uri = phoenix.url.replace("http://", "phoenix://") + "/" + name

    assert main(["push", uri, "--dataset", "pushed", "--store", store_url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["created"] == 30
    with Client(store=store_url) as client:
        dataset = client.datasets.upsert_dataset(dataset="upserted", examples=uri)
    assert dataset.summary.created == 30
    assert _contents(store, "pushed") == _contents(store, "upserted")


@ONE_BACKEND
def test_unreachable_phoenix_is_an_error_and_nothing_is_written(run: Run, store: Store) -> None:
    code, out = run("import", "phoenix", "http://127.0.0.1:9", "--dataset", "qa")
    assert code == 1
    assert out["error"]["code"] == "phoenix_unreachable"
    assert [d.name for d in store.list_datasets(100, None).items] == []


@ONE_BACKEND
@pytest.mark.parametrize("key", ["wrong-key", ""])
def test_a_wrong_or_missing_key_is_an_auth_error(
    run: Run, store: Store, phoenix: PhoenixServer, name: str, key: str
) -> None:
    create_with_phoenix_client(phoenix, name, varied_rows(3))
    code, out = run("import", "phoenix", phoenix.url, "--api-key", key, "--dataset", name)
    assert code == 1
    assert out["error"]["kind"] == "auth"
    assert out["error"]["code"] == "phoenix_unauthorized"
    assert [d.name for d in store.list_datasets(100, None).items] == []


@ONE_BACKEND
def test_unknown_dataset_and_version_are_not_found(
    run: Run, store: Store, phoenix: PhoenixServer, name: str
) -> None:
    code, out = _import(run, phoenix, "--dataset", "qa", "--phoenix-dataset", "no-such")
    assert (code, out["error"]["code"]) == (1, "phoenix_dataset_not_found")
    create_with_phoenix_client(phoenix, name, varied_rows(3))
    code, out = _import(run, phoenix, "--dataset", name, "--version", "99999")
    assert (code, out["error"]["code"]) == (1, "phoenix_version_not_found")
    assert [d.name for d in store.list_datasets(100, None).items] == []


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"d": value}
    return value


@ONE_BACKEND
@pytest.mark.parametrize(
    ("value", "code", "path"),
    [
        (9007199254740993, "inexact_integer", "$.input.q"),
        (_nested(130), "too_deep", "$.input.q.d.d.d"),
    ],
    ids=["inexact-integer", "too-deep"],
)
def test_an_example_datasync_refuses_names_the_example_and_writes_nothing(
    run: Run,
    store: Store,
    phoenix: PhoenixServer,
    name: str,
    value: Any,
    code: str,
    path: str,
) -> None:
    data = varied_rows(20)
    create_with_phoenix_client(phoenix, name, data)
    assert _import(run, phoenix, "--dataset", name)[0] == 0
    before = store.get_version(name)
    data[11]["input"]["q"] = value  # Phoenix takes it (its upsert), datasync does not
    with PhoenixAPI(phoenix.url, phoenix.api_key) as api:
        api.send_upload(api.upload_body(name, data, "update"))

    exit_code, out = _import(run, phoenix, "--dataset", name)

    assert exit_code == 1
    error = out["error"]
    assert (error["kind"], error["code"]) == ("source", code)
    assert error["details"]["path"].startswith(path)
    assert error["details"]["example_id"] == "ex-00011"
    assert "example ex-00011" in error["message"]
    assert store.get_version(name).id == before.id  # nothing written


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (b'{"x": 1, "x": 2}', "duplicate_key"),
        (b'{"x": NaN}', "non_finite_number"),
        (b'{"x": -Infinity}', "non_finite_number"),
    ],
)
def test_values_no_phoenix_sends_are_refused_by_the_parser_with_the_example_id(
    text: bytes, code: str
) -> None:
    # Phoenix writes its JSONL with json.dumps of stored values: a repeated key cannot come
    # out of it, and it reads a stored NaN back as null (its upload refuses NaN outright).
    # The parser Phoenix's rows go through refuses them all the same, naming the example.
    body = b'{"id": "a", "node_id": "n1", "input": ' + text + b', "output": {}, "metadata": {}}\n'
    (record,) = list(phoenix_rows(body, "phoenix://h:1/qa"))
    assert isinstance(record, SourceError)
    assert record.code == code
    assert record.location == "phoenix://h:1/qa example a"


@ONE_BACKEND
def test_phoenix_hashes_the_imported_content_as_datasync_does(
    run: Run, store: Store, phoenix: PhoenixServer, name: str
) -> None:
    create_with_phoenix_client(phoenix, name, varied_rows(300))
    assert _import(run, phoenix, "--dataset", name)[0] == 0
    held = _contents(store, name)
    rows = [{"input": i, "output": o, "metadata": m} for i, o, m in held.values()]
    ours = [content_hash(i, o, m, scheme="sha256-128") for i, o, m in held.values()]
    assert phoenix_hashes(phoenix, rows) == ours


@ONE_BACKEND
def test_a_phoenix_url_that_is_not_http_is_a_usage_error(run: Run, store: Store) -> None:
    code, out = run("import", "phoenix", "127.0.0.1:6006", "--dataset", "qa")
    assert (code, out["error"]["code"]) == (2, "bad_phoenix_url")
    assert [d.name for d in store.list_datasets(100, None).items] == []
