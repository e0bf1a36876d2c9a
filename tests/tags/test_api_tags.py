"""Tags over HTTP (a live uvicorn server): read, PATCH add/remove, idempotent PUT, filters
on list routes, history, errors naming the tag; metadata filters on the examples route."""

from __future__ import annotations

import httpx
import pytest

from datasync.store import Store
from datasync.sync import ChangeKind, CommitHeader
from tests.server.helpers import NDJSON, ndjson, op


def _push(
    api: httpx.Client,
    name: str,
    metadata: list[dict[str, object]],
    tags: dict[str, str] | None = None,
) -> int:
    lines = [
        op(ChangeKind.CREATE, f"e{i}", {"input": {"i": i}, "output": {}, "metadata": m})
        for i, m in enumerate(metadata)
    ]
    body = ndjson(CommitHeader(None, tags=tags or {}), lines)
    answer = api.post(f"/v1/datasets/{name}/commits", content=body, headers=NDJSON)
    assert answer.status_code in (200, 201), answer.text
    version_id: int = answer.json()["version_id"]
    return version_id


def test_patch_adds_and_removes_and_put_replaces_idempotently(
    api: httpx.Client, store: Store
) -> None:
    api.post("/v1/datasets", json={"name": "qa", "tags": {"team": "ml"}})
    changed = api.patch("/v1/datasets/qa/tags", json={"add": {"env": "prod"}, "remove": ["team"]})
    assert changed.status_code == 200 and changed.json() == {"tags": {"env": "prod"}}
    wanted = {"env": "dev", "owner": "ana"}
    first = api.put("/v1/datasets/qa/tags", json={"tags": wanted})
    retry = api.put("/v1/datasets/qa/tags", json={"tags": wanted})
    assert first.json() == retry.json() == {"tags": wanted}
    assert api.get("/v1/datasets/qa/tags").json() == {"tags": wanted}
    assert store.get_dataset("qa").tags == wanted
    assert len(store.tag_history("qa").items) == 2  # the retry recorded nothing


def test_version_tags_by_id_and_head(api: httpx.Client, store: Store) -> None:
    first = _push(api, "qa", [{}])
    answer = api.patch(f"/v1/datasets/qa/versions/{first}/tags", json={"add": {"release": "r1"}})
    assert answer.json() == {"tags": {"release": "r1"}}
    assert (
        api.put("/v1/datasets/qa/versions/head/tags", json={"tags": {"a": "b"}}).status_code == 200
    )
    assert store.get_version("qa", first).tags == {"a": "b"}
    assert api.get("/v1/datasets/qa/versions/head/tags").json() == {"tags": {"a": "b"}}
    missing = api.get("/v1/datasets/qa/versions/999999/tags")
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("body", "code", "named"),
    [
        ({"add": {"Env": "x"}}, "invalid_tag", "Env"),
        ({"add": {"env": "a\nb"}}, "invalid_tag", "env"),
        ({"add": {"datasync.sys": "x"}}, "reserved_tag", "datasync.sys"),
        ({"add": {"env": 1}}, "invalid_tag", "env"),
        ({"remove": ["Bad Key"]}, "invalid_tag", "Bad Key"),
    ],
)
def test_bad_tags_are_422_naming_the_tag(
    api: httpx.Client, store: Store, body: dict[str, object], code: str, named: str
) -> None:
    api.post("/v1/datasets", json={"name": "qa", "tags": {"keep": "me"}})
    answer = api.patch("/v1/datasets/qa/tags", json=body)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert (error["kind"], error["code"]) == ("tag", code)
    assert named in error["message"]
    assert store.get_dataset("qa").tags == {"keep": "me"}


def test_list_routes_filter_by_tag_and_has_tag(api: httpx.Client) -> None:
    tricky = "it's 100% a_b'; DROP TABLE datasets; --"
    for name, tags in [
        ("a", {"env": "prod", "team": "ml"}),
        ("b", {"env": "prod", "batch": "1"}),
        ("c", {"env": tricky}),
        ("d", {"env": "it's 1000% aXb"}),
    ]:
        api.post("/v1/datasets", json={"name": name, "tags": tags})

    def names(params: list[tuple[str, str | int | float | bool | None]]) -> list[str]:
        answer = api.get("/v1/datasets", params=params)
        assert answer.status_code == 200, answer.text
        return [d["name"] for d in answer.json()["items"]]

    assert names([("tag.env", "prod")]) == ["a", "b"]
    assert names([("tag.env", "prod"), ("tag.team", "ml")]) == ["a"]
    assert names([("has_tag", "batch")]) == ["b"]
    assert names([("tag.env", tricky)]) == ["c"]
    bad = api.get("/v1/datasets", params={"has_tag": "no such key!"})
    assert bad.status_code == 422 and "no such key!" in bad.json()["error"]["message"]


def test_versions_filter_and_tag_history_route(api: httpx.Client) -> None:
    v1 = _push(api, "qa", [{}], tags={"release": "r1"})
    api.patch(f"/v1/datasets/qa/versions/{v1}/tags", json={"add": {"stage": "final"}})
    api.patch("/v1/datasets/qa/tags", json={"add": {"env": "prod"}})
    listed = api.get("/v1/datasets/qa/versions", params={"tag.release": "r1"}).json()["items"]
    assert [v["id"] for v in listed] == [v1]
    assert api.get("/v1/datasets/qa/versions", params={"tag.release": "r2"}).json()["items"] == []
    history = api.get("/v1/datasets/qa/tag-history").json()
    assert [(c["kind"], c["added"], c["removed"]) for c in history["items"]] == [
        ("dataset", {"env": "prod"}, []),
        ("version", {"stage": "final"}, []),
    ]
    versions_only = api.get("/v1/datasets/qa/tag-history", params={"kind": "version"}).json()
    assert [c["object_id"] for c in versions_only["items"]] == [v1]
    assert api.get("/v1/datasets/qa/tag-history", params={"kind": "x"}).status_code == 400


def test_examples_route_matches_metadata_values_literally(api: httpx.Client) -> None:
    values = ["it's", "100%", "a_b", "x' OR '1'='1", "%", "_"]
    decoys = ["its", "1000", "aXb", "x", "anything", "y"]
    _push(api, "qa", [{"note": v} for v in values + decoys])
    for value in values:
        answer = api.get("/v1/datasets/qa/versions/head/examples", params={"metadata.note": value})
        assert answer.status_code == 200, answer.text
        assert [e["metadata"]["note"] for e in answer.json()["items"]] == [value]
