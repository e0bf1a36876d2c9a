"""``datasync serve`` and ``datasync db upgrade`` as a user runs them, on both backends."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from datasync.canonical import content_hash
from datasync.store import make_engine
from datasync.sync import ChangeKind, CommitHeader
from tests.server.helpers import NDJSON, example, ndjson, op


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def served(store_url: str) -> Iterator[httpx.Client]:
    port = free_port()
    env = {**os.environ, "DATASYNC_API_KEY": "from-env"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "datasync", "serve", "--db", store_url, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": "Bearer from-env"},
        timeout=30,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"datasync serve exited: {proc.communicate()[1]}")
            try:
                if client.get("/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("datasync serve did not answer within 20 s")
            time.sleep(0.1)
        yield client
    finally:
        client.close()
        proc.terminate()
        try:
            proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def test_serve_accepts_a_commit_and_serves_every_version_back(served: httpx.Client) -> None:
    assert served.get("/v1/datasets", headers={"Authorization": ""}).status_code == 401
    v1_rows = {f"r{i}": example(i) for i in range(5)}
    first = served.post(
        "/v1/datasets/qa/commits",
        content=ndjson(CommitHeader(), [op(ChangeKind.CREATE, s, c) for s, c in v1_rows.items()]),
        headers=NDJSON,
    ).json()
    second = served.post(
        "/v1/datasets/qa/commits",
        content=ndjson(
            CommitHeader(first["version_id"]),
            [op(ChangeKind.PATCH, "r1", example(1, 9)), op(ChangeKind.DELETE, "r4")],
        ),
        headers=NDJSON,
    ).json()
    v2_rows = {**v1_rows, "r1": example(1, 9)}
    del v2_rows["r4"]
    for version, rows in ((first["version_id"], v1_rows), (second["version_id"], v2_rows)):
        items = served.get(f"/v1/datasets/qa/versions/{version}/examples").json()["items"]
        assert items == [
            {"source_id": s, **c, "hash": content_hash(c["input"], c["output"], c["metadata"])}
            for s, c in sorted(rows.items())
        ]


def test_db_upgrade_migrates_an_empty_database(store_url: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "datasync", "db", "upgrade", "--db", store_url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "latest schema" in out.stdout
    engine = make_engine(store_url)
    try:
        assert "revisions" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_db_upgrade_of_an_unreachable_database_exits_1_with_a_message() -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/none"
    out = subprocess.run(
        [sys.executable, "-m", "datasync", "db", "upgrade", "--db", url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 1
    assert "store_unreachable" in out.stderr and "Traceback" not in out.stderr


def test_serve_and_db_have_help() -> None:
    for args in (["serve", "--help"], ["db", "upgrade", "--help"]):
        out = subprocess.run(
            [sys.executable, "-m", "datasync", *args], capture_output=True, text=True, check=True
        )
        assert "--db" in out.stdout
