"""The HTTP API against a live uvicorn server: datasets, commits, read-back, errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from datasync.canonical import content_hash
from datasync.errors import ConflictError, HashMismatchError, NotFoundError, error_from_wire
from datasync.store import Store
from datasync.sync import ChangeKind, CommitHeader, LeafTable, Mode, bucket_of, node_of
from tests.server.helpers import GZIP, NDJSON, example, ndjson, op

C, P, D = ChangeKind.CREATE, ChangeKind.PATCH, ChangeKind.DELETE


def commit(
    api: httpx.Client, name: str, header: CommitHeader, ops: list[Any], **kw: Any
) -> httpx.Response:
    gz = kw.pop("gz", False)
    return api.post(
        f"/v1/datasets/{name}/commits",
        content=ndjson(header, ops, gz=gz),
        headers=GZIP if gz else NDJSON,
    )


def all_examples(api: httpx.Client, name: str, version: int | str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 4}
    while True:
        page = api.get(f"/v1/datasets/{name}/versions/{version}/examples", params=params).json()
        items.extend(page["items"])
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


def expected(state: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"source_id": sid, **c, "hash": content_hash(c["input"], c["output"], c["metadata"])}
        for sid, c in sorted(state.items())
    ]


def test_health_is_open(api: httpx.Client) -> None:
    body = api.get("/v1/health").json()
    assert body["status"] == "ok"


def test_dataset_lifecycle_over_http(api: httpx.Client, store: Store) -> None:
    made = api.post("/v1/datasets", json={"name": "qa", "description": "d", "tags": {"t": "1"}})
    assert made.status_code == 201
    info = made.json()
    assert store.get_dataset("qa").id == info["id"]
    assert api.get(f"/v1/datasets/{info['id']}").json() == info
    assert api.get("/v1/datasets").json() == {"items": [info], "next_cursor": None}
    again = api.post("/v1/datasets", json={"name": "qa"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "dataset_exists"
    renamed = api.patch("/v1/datasets/qa", json={"name": "qa2"})
    assert renamed.status_code == 200 and renamed.json() == {**info, "name": "qa2"}
    taken = api.patch("/v1/datasets/qa2", json={"name": "qa2x"})
    assert taken.status_code == 200 and store.get_dataset("qa2x").id == info["id"]
    deleted = api.delete("/v1/datasets/qa2x")
    assert deleted.status_code == 200
    assert deleted.json() == {
        "id": info["id"],
        "name": "qa2x",
        "versions": 0,
        "examples": 0,
        "experiments": 0,
    }
    gone = api.get("/v1/datasets/qa2x")
    assert gone.status_code == 404
    assert isinstance(error_from_wire(gone.json(), 404), NotFoundError)


def test_bad_requests_answer_with_the_error_body(api: httpx.Client) -> None:
    bad_name = api.post("/v1/datasets", json={"name": "1x"})
    assert bad_name.status_code == 422 and bad_name.json()["error"]["code"] == "invalid_name"
    missing = api.post("/v1/datasets", json={})
    assert missing.status_code == 422 and missing.json()["error"]["kind"] == "validation"
    route = api.get("/v1/nothing-here")
    assert route.status_code == 404 and route.json()["error"]["code"] == "no_route"
    version = api.get("/v1/datasets/x/versions/latest")
    assert version.status_code in (404, 422)
    assert "error" in version.json()


@pytest.mark.parametrize("gz", [False, True])
def test_sequence_of_commits_reads_back_exactly_at_every_version(
    api: httpx.Client, gz: bool
) -> None:
    steps: list[tuple[Mode, dict[str, dict[str, Any]]]] = [
        (Mode.MIRROR, {f"ex-{i}": example(i) for i in range(10)}),
        (
            Mode.MIRROR,
            {
                **{f"ex-{i}": example(i) for i in range(2, 10)},
                "ex-5": example(5, 1),
                "é": example(99),
            },
        ),
        (Mode.APPEND, {"ex-0": example(0, 2), "z": example(7)}),
        (Mode.MIRROR, {"only": example(1)}),
    ]
    model: dict[str, dict[str, Any]] = {}
    head = None
    history: dict[int, dict[str, dict[str, Any]]] = {}
    for mode, local in steps:
        ops = [
            op(C if sid not in model else P, sid, c)
            for sid, c in local.items()
            if model.get(sid) != c
        ]
        if mode is Mode.MIRROR:
            ops += [op(D, sid) for sid in model if sid not in local]
        response = commit(api, "qa", CommitHeader(head, mode, None, f"{mode} step"), ops, gz=gz)
        assert response.status_code == 201, response.text
        result = response.json()
        model = dict(local) if mode is Mode.MIRROR else {**model, **local}
        assert result["total"] == len(model)
        head = result["version_id"]
        history[head] = dict(model)
    for version, state in history.items():
        assert all_examples(api, "qa", version) == expected(state)
        manifest = {
            sid: content_hash(c["input"], c["output"], c["metadata"]) for sid, c in state.items()
        }
        summary = api.get(f"/v1/datasets/qa/versions/{version}/summary", params={"bits": 3}).json()
        table = LeafTable.from_manifest(manifest)
        assert summary["root"] == table.root() and summary["count"] == len(state)
        assert summary["digests"] == [table.node_digest(3, n) for n in range(8)]
    versions = api.get("/v1/datasets/qa/versions").json()["items"]
    assert [v["id"] for v in versions] == sorted(history, reverse=True)
    assert versions[-1]["message"] == "mirror step"


def test_stale_base_is_409_conflict(api: httpx.Client) -> None:
    first = commit(api, "qa", CommitHeader(), [op(C, "a", example(1))]).json()
    commit(api, "qa", CommitHeader(first["version_id"]), [op(D, "a")])
    stale = commit(api, "qa", CommitHeader(first["version_id"]), [op(C, "b", example(2))])
    assert stale.status_code == 409
    err = error_from_wire(stale.json(), 409)
    assert isinstance(err, ConflictError) and err.details["base_version_id"] == first["version_id"]


def test_hash_mismatch_is_422_naming_the_example(api: httpx.Client, store: Store) -> None:
    bad = op(C, "ex-evil", example(1)) | {"hash": "0" * 64}
    response = commit(api, "qa", CommitHeader(), [op(C, "ok", example(2)), bad])
    assert response.status_code == 422
    err = error_from_wire(response.json(), 422)
    assert isinstance(err, HashMismatchError) and err.details["source_id"] == "ex-evil"
    assert "ex-evil" in err.message
    assert store.list_datasets().items == ()


def test_noop_commit_is_200_without_a_new_version(api: httpx.Client) -> None:
    first = commit(api, "qa", CommitHeader(), [op(C, "a", example(1))]).json()
    again = commit(api, "qa", CommitHeader(first["version_id"]), [])
    assert again.status_code == 200
    assert again.json()["no_op"] is True and again.json()["version_id"] == first["version_id"]
    assert len(api.get("/v1/datasets/qa/versions").json()["items"]) == 1


def test_idempotent_retry_returns_the_first_result(api: httpx.Client) -> None:
    header = CommitHeader(idempotency_key="ci-run-42")
    first = commit(api, "qa", header, [op(C, "a", example(1))])
    retry = commit(api, "qa", header, [op(C, "a", example(1))])
    assert retry.json() == first.json()
    assert len(api.get("/v1/datasets/qa/versions").json()["items"]) == 1


@pytest.mark.parametrize("where", ["bad_json", "bad_op", "truncated_gzip"])
def test_commit_failing_mid_stream_leaves_the_store_unchanged(
    api: httpx.Client, store: Store, where: str
) -> None:
    base = commit(api, "qa", CommitHeader(), [op(C, f"k{i}", example(i)) for i in range(3)]).json()
    before = [e for e in store.iter_manifest("qa")]
    ops: list[Any] = [op(D, "k0"), *[op(C, f"n{i}", example(i)) for i in range(2500)]]
    if where == "bad_op":
        ops.append({"op": "create", "source_id": "late"})
    body = ndjson(CommitHeader(base["version_id"]), ops, gz=where == "truncated_gzip")
    if where == "bad_json":
        body += b'{"op": "delete", "source_id": \n'
    if where == "truncated_gzip":
        body = body[: len(body) - 50]
    headers = GZIP if where == "truncated_gzip" else NDJSON
    response = api.post("/v1/datasets/qa/commits", content=body, headers=headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    if where != "truncated_gzip":
        assert error["details"]["line"] == len(ops) + 2 - (where == "bad_op")
    assert list(store.iter_manifest("qa")) == before
    assert store.get_dataset("qa").head_version_id == base["version_id"]
    assert len(store.list_versions("qa").items) == 1


@pytest.mark.parametrize("ids_refused_too", [False, True])
def test_errors_from_lines_decoded_in_worker_processes_are_the_same(
    api: httpx.Client, store: Store, ids_refused_too: bool
) -> None:
    # Past the first 2,000 lines a commit body is decoded in worker processes; a hash that
    # differs there is reported as in-thread, and refused ids still come first.
    ops: list[Any] = [op(C, f"n{i}", example(i)) for i in range(3500)]
    ops[3100] = {**ops[3100], "hash": "0" * 64}
    if ids_refused_too:
        ops[2600] = op(P, "ghost", example(1))
    response = commit(api, "qa", CommitHeader(), ops)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    if ids_refused_too:
        assert (error["code"], error["details"]["unknown_ids"]) == ("unknown_ids", ["ghost"])
    else:
        assert error["code"] == "hash_mismatch"
        assert error["details"]["source_id"] == "n3100"
        assert error["details"]["expected"] == content_hash(**example(3100))
    with pytest.raises(NotFoundError):
        store.get_dataset("qa")  # a failed first commit creates nothing


def test_a_large_commit_decoded_in_worker_processes_reads_back_exactly(
    api: httpx.Client,
) -> None:
    state = {f"n{i:05d}": example(i) for i in range(4321)}
    ops = [op(C, sid, content) for sid, content in state.items()]
    assert commit(api, "qa", CommitHeader(), ops).json()["created"] == 4321
    got: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 1000}
    while True:
        page = api.get("/v1/datasets/qa/versions/head/examples", params=params).json()
        got.extend(page["items"])
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert got == expected(state)


def test_snapshot_endpoint_diffs_on_the_server(api: httpx.Client, store: Store) -> None:
    rows = [{"source_id": f"s{i}", **example(i)} for i in range(4)]
    first = api.post("/v1/datasets/snap/snapshot", content=ndjson({}, rows), headers=NDJSON)
    assert first.status_code == 201 and first.json()["created"] == 4
    rows[1] = {"source_id": "s1", **example(1, 5)}
    second = api.post(
        "/v1/datasets/snap/snapshot", content=ndjson({"mode": "mirror"}, rows[:3]), headers=NDJSON
    )
    body = second.json()
    assert (body["created"], body["patched"], body["deleted"], body["unchanged"]) == (0, 1, 1, 2)
    assert [e["source_id"] for e in all_examples(api, "snap", "head")] == ["s0", "s1", "s2"]


def test_bucket_endpoints_and_manifest_stream(api: httpx.Client) -> None:
    ops = [op(C, f"id{i}", example(i)) for i in range(200)]
    commit(api, "qa", CommitHeader(), ops)
    manifest = {o["source_id"]: o["hash"] for o in ops}
    table = LeafTable.from_manifest(manifest)
    digests = api.post(
        "/v1/datasets/qa/versions/head/digests", json={"bits": 12, "nodes": [0, 7, 4095]}
    )
    assert digests.json() == {
        "bits": 12,
        "digests": [table.node_digest(12, n) for n in (0, 7, 4095)],
    }
    entries = api.post(
        "/v1/datasets/qa/versions/head/entries", json={"bits": 4, "nodes": [2, 9]}
    ).json()
    wanted = sorted(s for s in manifest if node_of(bucket_of(s), 4) in (2, 9))
    assert entries["entries"] == [[s, manifest[s]] for s in wanted]
    short = api.post(
        "/v1/datasets/qa/versions/head/entries", json={"bits": 4, "nodes": [2, 9], "hash_chars": 16}
    ).json()
    assert short["entries"] == [[s, manifest[s][:16]] for s in wanted]
    lines = api.get("/v1/datasets/qa/versions/head/manifest").text.splitlines()
    assert [tuple(__import__("json").loads(x)) for x in lines] == sorted(manifest.items())
    bad = api.post("/v1/datasets/qa/versions/head/entries", json={"bits": 4, "nodes": [16]})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_nodes"


def test_examples_filter_by_metadata_query(api: httpx.Client) -> None:
    commit(api, "qa", CommitHeader(), [op(C, f"e{i}", example(i)) for i in range(7)])
    got = api.get(
        "/v1/datasets/qa/versions/head/examples", params={"metadata.split": "test"}
    ).json()
    assert [e["source_id"] for e in got["items"]] == ["e0", "e3", "e6"]
    by_number = api.get(
        "/v1/datasets/qa/versions/head/examples", params={"metadata.rev": "0"}
    ).json()
    assert len(by_number["items"]) == 7
    as_string = api.get(
        "/v1/datasets/qa/versions/head/examples", params={"metadata.rev": '"0"'}
    ).json()
    assert as_string["items"] == []


def test_openapi_documents_every_route(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    operations = [op for path in spec["paths"].values() for op in path.values()]
    assert len(operations) >= 13
    for operation in operations:
        assert operation.get("operationId") and operation.get("summary")
        if operation["operationId"] != "health":
            assert {"401", "404", "413", "422"} <= set(operation["responses"])
    assert "409" in spec["paths"]["/v1/datasets/{dataset}/commits"]["post"]["responses"]


def test_digests_by_parents_and_shortened_digests(api: httpx.Client) -> None:
    ops = [op(C, f"id{i}", example(i)) for i in range(300)]
    commit(api, "qa", CommitHeader(), ops)
    table = LeafTable.from_manifest({o["source_id"]: o["hash"] for o in ops})
    by_parents = api.post(
        "/v1/datasets/qa/versions/head/digests",
        json={"bits": 6, "parent_bits": 4, "parents": [3, 1], "digest_chars": 16},
    ).json()
    nodes = [12, 13, 14, 15, 4, 5, 6, 7]
    assert by_parents["digests"] == [table.node_digest(6, n)[:16] for n in nodes]
    summary = api.get(
        "/v1/datasets/qa/versions/head/summary", params={"bits": 2, "digest_chars": 8}
    )
    assert summary.json()["digests"] == [table.node_digest(2, n)[:8] for n in range(4)]
    entries = api.post(
        "/v1/datasets/qa/versions/head/entries", json={"bits": 2, "parent_bits": 1, "parents": [0]}
    ).json()["entries"]
    assert {sid for sid, _ in entries} == {
        o["source_id"] for o in ops if node_of(bucket_of(o["source_id"]), 1) == 0
    }
    for bad in (
        {"bits": 6},
        {"bits": 6, "nodes": [1], "parents": [0], "parent_bits": 0},
        {"bits": 2, "parents": [0], "parent_bits": 4},
        {"bits": 6, "parents": [99], "parent_bits": 4},
    ):
        response = api.post("/v1/datasets/qa/versions/head/digests", json=bad)
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"] == "invalid_nodes"
