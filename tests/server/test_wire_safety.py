"""What a web page, a fuzzer or a typo can send: refused with a 4xx, never a 500, never half."""

from __future__ import annotations

import json

import httpx
import pytest

from datasync.errors import NotFoundError
from datasync.store import MAX_ID, Store
from datasync.sync import ChangeKind, CommitHeader
from tests.server.conftest import StartServer
from tests.server.helpers import NDJSON, example, ndjson, op

BODY = ndjson(CommitHeader(), [op(ChangeKind.CREATE, "a", example(1))])


def _error(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    error: dict[str, object] = response.json()["error"]
    return error


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
def test_a_commit_a_browser_could_send_without_preflight_is_415(
    start_server: StartServer, store: Store, content_type: str | None
) -> None:
    client = start_server()
    headers = {"Content-Type": content_type} if content_type else {}
    for route in ("commits", "snapshot"):
        response = client.post(f"/v1/datasets/qa/{route}", content=BODY, headers=headers)
        assert _error(response, 415)["code"] == "unsupported_media_type"
    response = client.post("/v1/datasets", content=b'{"name": "made"}', headers=headers)
    assert _error(response, 415)["code"] == "unsupported_media_type"
    assert store.list_datasets().items == ()


def test_json_writes_need_application_json(start_server: StartServer, store: Store) -> None:
    client = start_server()
    made = client.post("/v1/datasets", json={"name": "made"})
    assert made.status_code == 201
    tags = client.put("/v1/datasets/made/tags", content=b'{"tags": {"a": "b"}}')
    assert _error(tags, 415)["code"] == "unsupported_media_type"
    assert store.get_dataset("made").tags == {}


def test_a_request_from_another_origin_is_refused(start_server: StartServer, store: Store) -> None:
    client = start_server()
    evil = {**NDJSON, "Origin": "https://evil.example"}
    response = client.post("/v1/datasets/qa/commits", content=BODY, headers=evil)
    assert _error(response, 403)["code"] == "cross_origin"
    assert _error(client.get("/v1/datasets", headers={"Origin": "null"}), 403)["code"] == (
        "cross_origin"
    )
    with pytest.raises(NotFoundError):
        store.get_dataset("qa")
    own = {**NDJSON, "Origin": str(client.base_url).rstrip("/")}
    assert client.post("/v1/datasets/qa/commits", content=BODY, headers=own).status_code == 201
    assert "access-control-allow-origin" not in client.get("/v1/datasets", headers=own).headers


def test_a_rebound_host_name_is_refused(start_server: StartServer, store: Store) -> None:
    client = start_server()
    port = client.base_url.port
    rebound = {**NDJSON, "Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"}
    response = client.post("/v1/datasets/qa/commits", content=BODY, headers=rebound)
    assert _error(response, 403)["code"] == "forbidden_host"
    with pytest.raises(NotFoundError):
        store.get_dataset("qa")
    for host in (f"localhost:{port}", f"[::1]:{port}", "127.0.0.1"):
        assert client.get("/v1/datasets", headers={"Host": host}).status_code == 200


def test_allowed_hosts_and_cors_origins_are_configurable(start_server: StartServer) -> None:
    client = start_server(
        allowed_hosts=("datasync.internal",), cors_origins=("https://app.example",)
    )
    assert _error(client.get("/v1/datasets"), 403)["code"] == "forbidden_host"
    named = {"Host": "datasync.internal:80", "Origin": "https://app.example"}
    listed = client.get("/v1/datasets", headers=named)
    assert listed.status_code == 200
    assert listed.headers["access-control-allow-origin"] == "https://app.example"
    preflight = client.options(
        "/v1/datasets/qa/commits",
        headers={
            **named,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    other = {"Host": "datasync.internal", "Origin": "https://other.example"}
    assert _error(client.get("/v1/datasets", headers=other), 403)["code"] == "cross_origin"
    assert (
        start_server(allowed_hosts=("*",))
        .get("/v1/datasets", headers={"Host": "anything.example"})
        .status_code
        == 200
    )


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/v1/datasets/³", 404, "dataset_not_found"),
        ("/v1/datasets/٣/versions", 404, "dataset_not_found"),
        (f"/v1/datasets/{MAX_ID}", 404, "dataset_not_found"),
        (f"/v1/datasets/{MAX_ID + 1}", 422, "invalid_id"),
        (f"/v1/datasets/{10**40}/versions", 422, "invalid_id"),
        ("/v1/datasets/qa/versions/³", 422, "bad_version"),
        (f"/v1/datasets/qa/versions/{MAX_ID + 1}", 422, "invalid_id"),
        (f"/v1/datasets/qa/versions/{MAX_ID}", 404, "version_not_found"),
        ("/v1/experiments/³", 422, "invalid_request"),
        (f"/v1/experiments/{MAX_ID + 1}", 422, "invalid_request"),
        (f"/v1/experiments/{MAX_ID}/tags", 404, "experiment_not_found"),
        ("/v1/datasets?limit=%205", 422, "invalid_request"),
        ("/v1/datasets?limit=5_0", 422, "invalid_request"),
        ("/v1/datasets/qa/versions/head/summary?bits=³", 422, "invalid_request"),
        ("/v1/datasets/qa%00", 422, "nul_character"),
        ("/v1/datasets/qa/versions/head/examples?metadata.k=a%00", 422, "nul_character"),
        ("/v1/datasets?tag.k%00=v", 422, "nul_character"),
        ("/v1/experiments?name=x%00", 422, "nul_character"),
        ("/v1/datasets?cursor=aTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5", 422, "invalid_cursor"),
    ],
)
def test_ids_and_text_in_paths_and_queries_are_read_strictly(
    start_server: StartServer, path: str, status: int, code: str
) -> None:
    client = start_server()
    assert client.post("/v1/datasets/qa/commits", content=BODY, headers=NDJSON).status_code == 201
    assert _error(client.get(path), status)["code"] == code


@pytest.mark.parametrize("route", ["commits", "snapshot"])
def test_an_out_of_range_dataset_id_in_an_upload_is_422(
    start_server: StartServer, store: Store, route: str
) -> None:
    client = start_server()
    response = client.post(f"/v1/datasets/{MAX_ID + 1}/{route}", content=BODY, headers=NDJSON)
    assert _error(response, 422)["code"] == "invalid_id"
    assert store.list_datasets().items == ()


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ('{"dataset": "qa", "name": "n\\u0000", "task_fingerprint": "v"}', "$.name"),
        (
            '{"dataset": "qa", "name": "n", "task_fingerprint": "v", "metadata": {"k\\u0000": 1}}',
            "$.metadata",
        ),
        ('{"dataset": "qa", "name": "n\\ud800", "task_fingerprint": "v"}', "$.name"),
        ('{"dataset": "qa", "name": "n", "task_fingerprint": "v", "metadata": {"x": NaN}}', "$"),
        ('{"dataset": "qa", "name": "n", "task_fingerprint": "v", "metadata": {"x": 1e999}}', "$"),
        ('{"dataset": "qa", "name": "n", "name": "m", "task_fingerprint": "v"}', "$"),
        ('{"dataset": "qa", "name": "n", "task_fingerprint": "v", "version_id": "1"}', None),
        ('{"dataset": "qa", "name": "n", "task_fingerprint": "v", "version_id": 1.0}', None),
        (
            '{"dataset": "qa", "name": "n", "task_fingerprint": "v", "version_id": '
            + str(MAX_ID + 1)
            + "}",
            None,
        ),
        ("[" * 5000 + "]" * 5000, "$"),
    ],
)
def test_a_json_body_that_is_not_plain_json_or_has_a_bad_id_is_422(
    start_server: StartServer, store: Store, body: str, where: str | None
) -> None:
    client = start_server()
    assert client.post("/v1/datasets/qa/commits", content=BODY, headers=NDJSON).status_code == 201
    headers = {"Content-Type": "application/json"}
    error = _error(client.post("/v1/experiments", content=body.encode(), headers=headers), 422)
    if where is None:
        assert error["code"] == "invalid_request"
    else:
        assert error["code"] == "invalid_json"
        assert error["details"] == {"path": where}
    assert store.list_experiments().items == ()


def test_a_nul_in_run_output_or_a_non_finite_score_is_422(
    start_server: StartServer, store: Store
) -> None:
    client = start_server()
    client.post("/v1/datasets/qa/commits", content=BODY, headers=NDJSON)
    experiment = client.post(
        "/v1/experiments", json={"dataset": "qa", "name": "n", "task_fingerprint": "version:1"}
    ).json()
    run = {"source_id": "a", "content_hash": "h", "seen_hash": "h", "output": "x\x00"}
    path = f"/v1/experiments/{experiment['id']}/runs"
    assert _error(client.post(path, json={"runs": [run]}), 422)["code"] == "invalid_json"
    scored = {**run, "output": "fine", "evaluations": [{"name": "e", "score": 10**400}]}
    body = json.dumps({"runs": [scored]})
    response = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert _error(response, 422)["code"] == "invalid_request"
    assert store.list_runs(experiment["id"]).items == ()


@pytest.mark.parametrize(
    ("bound", "expected"),
    [
        ("127.0.0.1", ("localhost", "127.0.0.1", "::1")),
        ("::1", ("localhost", "127.0.0.1", "::1")),
        ("localhost", ("localhost", "127.0.0.1", "::1")),
        ("0.0.0.0", ("*",)),
        ("10.1.2.3", ("*",)),
    ],
)
def test_serve_answers_loopback_names_only_when_bound_to_loopback(
    bound: str, expected: tuple[str, ...]
) -> None:
    from datasync.cli.serve import _default_hosts

    assert _default_hosts(bound) == expected
