"""API keys and size limits on a live server."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import pytest

from datasync.errors import AuthError, NotFoundError, TooLargeError, error_from_wire
from datasync.server import Limits
from datasync.store import Store
from datasync.sync import ChangeKind, CommitHeader
from tests.server.conftest import StartServer
from tests.server.helpers import GZIP, NDJSON, example, ndjson, op


def test_with_a_key_every_route_but_health_needs_it(start_server: StartServer) -> None:
    anonymous = start_server(api_key="s3cret")
    assert anonymous.get("/v1/health").status_code == 200
    missing = anonymous.get("/v1/datasets")
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "missing_api_key"
    assert isinstance(error_from_wire(missing.json(), 401), AuthError)
    wrong = anonymous.get("/v1/datasets", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
    basic = anonymous.get("/v1/datasets", headers={"Authorization": "Basic s3cret"})
    assert basic.status_code == 401
    commit = anonymous.post(
        "/v1/datasets/qa/commits", content=ndjson(CommitHeader(), []), headers=NDJSON
    )
    assert commit.status_code == 401


def test_the_right_key_is_accepted(start_server: StartServer, store: Store) -> None:
    client = start_server(api_key="s3cret", client_key="s3cret")
    assert client.get("/v1/datasets").status_code == 200
    body = ndjson(CommitHeader(), [op(ChangeKind.CREATE, "a", example(1))])
    assert client.post("/v1/datasets/qa/commits", content=body, headers=NDJSON).status_code == 201
    assert store.get_version("qa").total == 1


def test_without_a_key_the_server_is_open(start_server: StartServer) -> None:
    client = start_server()
    assert (
        client.get("/v1/datasets", headers={"Authorization": "Bearer anything"}).status_code == 200
    )


SMALL = Limits(max_body_bytes=20_000, max_example_bytes=2_000, max_request_bytes=1_000)


def big_body() -> bytes:
    return ndjson(CommitHeader(), [op(ChangeKind.CREATE, f"id{i}", example(i)) for i in range(200)])


def test_oversize_body_with_content_length_is_413(start_server: StartServer, store: Store) -> None:
    client = start_server(limits=SMALL)
    body = big_body()
    assert len(body) > 20_000
    response = client.post("/v1/datasets/qa/commits", content=body, headers=NDJSON)
    assert response.status_code == 413
    err = error_from_wire(response.json(), 413)
    assert isinstance(err, TooLargeError) and "20000 bytes" in err.message
    assert store.list_datasets().items == ()


def test_oversize_streamed_body_is_413_and_writes_nothing(
    start_server: StartServer, store: Store
) -> None:
    client = start_server(limits=SMALL)
    body = big_body()

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer
        for i in range(0, len(body), 4096):
            yield body[i : i + 4096]

    response = client.post("/v1/datasets/qa/commits", content=chunks(), headers=NDJSON)
    assert response.status_code == 413
    assert store.list_datasets().items == ()


def test_gzip_bomb_is_measured_after_decompression(start_server: StartServer, store: Store) -> None:
    client = start_server(limits=SMALL)
    header = json.dumps(CommitHeader().to_wire()).encode() + b"\n"
    bomb = gzip.compress(header + b" " * 1_000 + b"\n" * 100_000)
    assert len(bomb) < 20_000
    response = client.post("/v1/datasets/qa/commits", content=bomb, headers=GZIP)
    assert response.status_code == 413
    assert "decompressed" in response.json()["error"]["message"]


def test_oversize_example_line_is_413_naming_the_line(start_server: StartServer) -> None:
    client = start_server(limits=SMALL)
    huge = op(
        ChangeKind.CREATE, "huge", {"input": {"text": "x" * 3_000}, "output": {}, "metadata": {}}
    )
    body = ndjson(CommitHeader(), [op(ChangeKind.CREATE, "a", example(1)), huge])
    response = client.post("/v1/datasets/qa/commits", content=body, headers=NDJSON)
    assert response.status_code == 413
    assert "line 3" in response.json()["error"]["message"]


def test_oversize_json_request_is_413(start_server: StartServer) -> None:
    client = start_server(limits=SMALL)
    response = client.post(
        "/v1/datasets/qa/versions/head/entries", json={"bits": 16, "nodes": list(range(400))}
    )
    assert response.status_code == 413


@pytest.mark.parametrize("encoding", ["br", "deflate"])
def test_unsupported_content_encoding_is_refused(start_server: StartServer, encoding: str) -> None:
    client = start_server()
    response = client.post(
        "/v1/datasets/qa/commits", content=b"{}\n", headers={**NDJSON, "Content-Encoding": encoding}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_encoding"


def test_a_body_that_stalls_is_refused_and_its_commit_let_go(
    start_server: StartServer, store: Store
) -> None:
    # A client that stops sending mid-body holds the commit's transaction: after
    # body_idle_seconds the server answers 422 body_timeout and writes nothing.
    import socket
    import time

    client = start_server(limits=Limits(body_idle_seconds=0.5))
    host, port = client.base_url.host, client.base_url.port
    assert port is not None
    piece = ndjson(CommitHeader(), [op(ChangeKind.CREATE, "a", example(1))])
    head = (
        b"POST /v1/datasets/qa/commits HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(head + b"%x\r\n" % len(piece) + piece + b"\r\n")  # then nothing more
        started = time.monotonic()
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    assert time.monotonic() - started < 5
    assert answer.startswith(b"HTTP/1.1 422"), answer[:200]
    error = json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]
    assert (error["code"], error["details"]["seconds"]) == ("body_timeout", 0.5)
    with pytest.raises(NotFoundError):
        store.get_dataset("qa")
    body = ndjson(CommitHeader(), [op(ChangeKind.CREATE, "a", example(1))])
    assert client.post("/v1/datasets/qa/commits", content=body, headers=NDJSON).status_code == 201
