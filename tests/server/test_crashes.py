"""A real ``datasync serve`` process killed mid-commit, and clients killed mid-body.

Each trial SIGKILLs the server at a seeded random point of a commit — while the body is
arriving, while it is written, around the acknowledgement — restarts it on the same store
and checks that the head is the old version or the complete new one, that a version the
client saw acknowledged is there, and that pushing again converges. Both backends, every run.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from datasync.client import Client
from datasync.sync import ChangeKind, CommitHeader
from tests.server.helpers import NDJSON, ndjson, op
from tests.server.process import ServerProcess, alive

TRIALS = 10
SEED = 16
ROWS = 1000
CHUNKS = 10


def _content(i: int, rev: int) -> dict[str, Any]:
    return {
        "input": {"question": f"q{i} " + "x" * 40},
        "output": {"answer": f"a{i}-{rev}"},
        "metadata": {"rev": rev},
    }


def _rows_of(server: ServerProcess, version: int) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = server.client.get(f"/v1/datasets/qa/versions/{version}/examples", params=params)
        page.raise_for_status()
        body = page.json()
        for item in body["items"]:
            rows[item["source_id"]] = {k: item[k] for k in ("input", "output", "metadata")}
        cursor = body["next_cursor"]
        if cursor is None:
            return rows


def _head(server: ServerProcess) -> tuple[int | None, dict[str, dict[str, Any]]]:
    response = server.client.get("/v1/datasets/qa")
    if response.status_code == 404:
        return None, {}
    head = response.json()["head_version_id"]
    return head, (_rows_of(server, head) if head is not None else {})


def _next_rows(rows: dict[str, dict[str, Any]], rng: random.Random, rev: int) -> dict[str, Any]:
    """``rows`` with about 40% patched, 5% deleted and 100 new ones."""
    new = {sid: c for sid, c in rows.items() if rng.random() > 0.05}
    for sid in list(new):
        if rng.random() < 0.4:
            new[sid] = _content(int(sid[1:]), rev)
    start = max((int(s[1:]) for s in rows), default=-1) + 1
    count = ROWS if not rows else 100
    new.update({f"e{i}": _content(i, rev) for i in range(start, start + count)})
    return new


def _body(base: int | None, old: dict[str, Any], new: dict[str, Any]) -> bytes:
    ops = [op(ChangeKind.DELETE, sid) for sid in old if sid not in new]
    for sid, content in new.items():
        if sid not in old:
            ops.append(op(ChangeKind.CREATE, sid, content))
        elif old[sid] != content:
            ops.append(op(ChangeKind.PATCH, sid, content))
    return ndjson(CommitHeader(base), ops)


def _push_killed(
    server: ServerProcess, body: bytes, kill_at: int | None, delay: float | None
) -> bool:
    """Send ``body`` in CHUNKS pieces and SIGKILL the server before piece ``kill_at``, or
    (``None``) ``delay`` seconds after the last piece (while the commit is written, or after
    it was answered), or (``None`` too) right after the answer. Returns whether the client
    got a 201 (an acknowledged version)."""
    size = -(-len(body) // CHUNKS)
    timer = threading.Timer(delay or 0, server.kill)

    def pieces() -> Iterator[bytes]:
        for i in range(CHUNKS):
            if i == kill_at:
                server.kill()
            yield body[i * size : (i + 1) * size]
        if delay is not None:
            timer.start()

    acknowledged = False
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            response = client.post("/v1/datasets/qa/commits", content=pieces(), headers=NDJSON)
            acknowledged = response.status_code == 201
            assert acknowledged, response.text
    except httpx.TransportError:
        pass
    finally:
        if timer.is_alive():
            timer.join()
    server.kill()
    return acknowledged


def test_a_server_killed_at_random_points_of_commits_never_keeps_half(
    store_url: str, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    log = tmp_path / "server.log"
    server = ServerProcess(store_url, log)
    rows: dict[str, dict[str, Any]] = {}
    outcomes = []
    try:
        for trial in range(TRIALS):
            base, _ = _head(server)
            target = _next_rows(rows, rng, trial + 1)
            when = rng.random()  # 40% mid-body, 40% while written, 20% after the answer
            kill_at = rng.randrange(1, CHUNKS) if when < 0.4 else None
            delay = rng.uniform(0, 0.5) if when < 0.8 else None
            acknowledged = _push_killed(server, _body(base, rows, target), kill_at, delay)
            server.client.close()
            server = ServerProcess(store_url, log)
            head, held = _head(server)
            if head == base:
                assert not acknowledged, f"trial {trial}: an acknowledged version was lost"
                assert held == rows, f"trial {trial}: the old head changed"
            else:
                assert held == target, f"trial {trial}: head {head} holds a partial commit"
            outcomes.append("old" if head == base else "new")
            with Client(server.url) as client:  # the re-push converges
                client.datasets.upsert_dataset("qa", [{"id": s, **c} for s, c in target.items()])
            assert _head(server)[1] == target
            rows = target
    finally:
        server.client.close()
        server.stop()
    assert "Traceback" not in log.read_text()
    # The seed has kills mid-body and after the answer: both outcomes are always tested.
    assert {"old", "new"} <= set(outcomes), outcomes


def test_an_acknowledged_version_survives_an_immediate_kill(store_url: str, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    server = ServerProcess(store_url, log)
    rows: dict[str, Any] = {}
    rng = random.Random(SEED)
    try:
        for rev in range(1, 4):
            base, _ = _head(server)
            target = _next_rows(rows, rng, rev)
            response = server.client.post(
                "/v1/datasets/qa/commits", content=_body(base, rows, target), headers=NDJSON
            )
            server.kill()  # at once: the answer was the last thing the server did
            assert response.status_code == 201, response.text
            server.client.close()
            server = ServerProcess(store_url, log)
            assert _head(server) == (response.json()["version_id"], target)
            rows = target
    finally:
        server.client.close()
        server.stop()


_SLOW_CLIENT = """
import socket, sys
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
body = open(sys.argv[2], "rb").read()
sock.sendall(
    b"POST /v1/datasets/qa/commits HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n"
    b"Content-Type: application/x-ndjson\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n"
    + b"%x\\r\\n" % (len(body) // 2) + body[: len(body) // 2] + b"\\r\\n"
)
print("sent", flush=True)
sys.stdin.read()  # wait to be killed
"""


def test_a_client_killed_mid_body_leaves_the_server_free_at_once(
    store_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    rows = _next_rows({}, random.Random(SEED), 1)
    body_file = tmp_path / "body.ndjson"
    body_file.write_bytes(_body(None, {}, rows))
    with ServerProcess(store_url, log) as server:
        with subprocess.Popen(
            [sys.executable, "-c", _SLOW_CLIENT, str(server.port), str(body_file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        ) as client:
            try:
                assert client.stdout is not None and client.stdout.readline() == "sent\n"
                time.sleep(0.3)  # let the server start the commit (it takes the write lock)
            finally:
                client.send_signal(signal.SIGKILL)
                killed = time.monotonic()
                client.wait(10)
        # The server notices the closed connection, rolls back and logs one line.
        while "went away" not in log.read_text():
            assert time.monotonic() - killed < 5, log.read_text()
            time.sleep(0.05)
        response = server.client.post(
            "/v1/datasets/qa/commits", content=body_file.read_bytes(), headers=NDJSON, timeout=5
        )
        assert response.status_code == 201, response.text
        assert time.monotonic() - killed < 5
        assert _head(server)[1] == rows
    text = log.read_text()
    assert "Traceback" not in text
    gone = [line for line in text.splitlines() if "went away" in line]
    assert len(gone) == 1 and " INFO " in gone[0], text


def test_decode_workers_die_with_a_killed_server_and_on_sigterm(
    store_url: str, tmp_path: Path
) -> None:
    server = ServerProcess(store_url, tmp_path / "server.log")
    try:
        workers = server.children()
        assert len(workers) >= 2, workers  # one per core, at least two on a test machine
        stopped = workers[0]
        subprocess.run(["kill", "-TERM", str(stopped)], check=True)
        _wait_gone([stopped])
        server.kill()
        _wait_gone(workers)
    finally:
        server.client.close()
        server.stop()


def _wait_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + 5
    while any(alive(p) for p in pids):
        assert time.monotonic() < deadline, [p for p in pids if alive(p)]
        time.sleep(0.05)
