"""The HTTP client over real sockets: retries on connection errors and 5xx (a commit carries an
idempotency key, so a retried commit never makes two versions), and a wrong API key.

Faults come from a small TCP proxy between the client and a live uvicorn server: for the
first requests that match, it drops the connection before forwarding, forwards the request
and drops the answer, or answers 503 itself.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import datasync
from datasync.cli import main
from datasync.client import Client
from datasync.store import Store
from tests.client.conftest import rows, serve
from tests.client.test_upsert import as_state, stored

SLOW_SECONDS = 2.5
UNAVAILABLE = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class FaultyProxy:
    """Forwards 127.0.0.1:port to ``target``; the first requests whose request line contains
    ``match`` get the next fault of ``faults``: ``reset`` (closed before forwarding),
    ``lost`` (forwarded, the answer dropped), ``slow`` (the answer held back for
    :data:`SLOW_SECONDS`) or ``503`` (answered without forwarding)."""

    def __init__(self, target: str, faults: list[str], match: bytes = b"/commits") -> None:
        host, port = target.removeprefix("http://").split(":")
        self.target = (host, int(port))
        self.faults = list(faults)
        self.match = match
        self.forwarded = 0  # matching requests that reached the server
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _fault_for(self, chunk: bytes) -> str | None:
        line = chunk.split(b"\r\n", 1)[0]
        if self.match not in line:
            return None
        with self._lock:
            return self.faults.pop(0) if self.faults else None

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.target)
        dropped = threading.Event()
        slow = threading.Event()

        def back() -> None:  # server -> client, unless the answer is to be lost
            try:
                while data := upstream.recv(65536):
                    if dropped.is_set():
                        break
                    if slow.is_set():
                        time.sleep(SLOW_SECONDS)
                        slow.clear()
                    client.sendall(data)
            except OSError:
                pass
            finally:
                _hang_up(client)

        threading.Thread(target=back, daemon=True).start()
        try:
            while data := client.recv(65536):
                fault = self._fault_for(data)
                if fault == "reset":
                    break
                if fault == "503":
                    client.sendall(UNAVAILABLE)
                    break
                if fault == "lost":
                    dropped.set()
                if fault == "slow":
                    slow.set()
                if self.match in data.split(b"\r\n", 1)[0]:
                    with self._lock:
                        self.forwarded += 1
                upstream.sendall(data)
        except OSError:
            pass
        finally:
            if dropped.is_set():
                _close_later(upstream)
            else:
                _hang_up(client)
                _hang_up(upstream)

    def close(self) -> None:
        self._sock.close()


def _hang_up(sock: socket.socket) -> None:
    """Shut down (which also wakes a recv blocked in another thread), then close."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def _close_later(sock: socket.socket) -> None:
    """Let the server finish answering (and committing) before the connection goes."""
    threading.Timer(2.0, _hang_up, args=(sock,)).start()


@pytest.fixture
def live(store: Store) -> Iterator[str]:
    url, stop = serve(store)
    yield url
    stop()


@pytest.mark.parametrize("fault", ["reset", "503", "lost"])
def test_a_commit_is_retried_and_makes_one_version(live: str, store: Store, fault: str) -> None:
    proxy = FaultyProxy(live, [fault, fault])
    data = rows(200)
    with Client(base_url=proxy.url) as client:
        ds = client.datasets.upsert_dataset(dataset="qa", examples=data)
    assert ds.summary.created == 200 and not ds.no_op
    assert len(store.list_versions("qa").items) == 1
    assert stored(store, "qa") == as_state(data)
    # lost: the server received (and applied) every attempt; the key made the rest replays
    assert proxy.forwarded == (3 if fault == "lost" else 1)
    proxy.close()


def test_a_slow_commit_is_waited_for_not_retried(live: str, store: Store) -> None:
    proxy = FaultyProxy(live, ["slow"])
    with Client(base_url=proxy.url, timeout=1.0) as client:  # reads time out after 1 s
        ds = client.datasets.upsert_dataset(dataset="qa", examples=rows(50))
    assert ds.total == 50 and proxy.forwarded == 1  # answered after 2.5 s, sent once
    assert len(store.list_versions("qa").items) == 1
    proxy.close()


def test_a_lost_answer_to_a_second_push_is_replayed_not_reapplied(live: str, store: Store) -> None:
    data = rows(100)
    with Client(base_url=live) as client:
        client.datasets.upsert_dataset(dataset="qa", examples=data)
    proxy = FaultyProxy(live, ["lost"])
    edited = [*data[1:], *rows(1, start=500)]
    with Client(base_url=proxy.url) as client:
        v2 = client.datasets.upsert_dataset(dataset="qa", examples=edited)
    assert v2.summary.to_dict() == {"created": 1, "patched": 0, "deleted": 1, "unchanged": 99}
    assert len(store.list_versions("qa").items) == 2
    assert proxy.forwarded == 2
    proxy.close()


def test_reads_are_retried_on_5xx(
    live: str, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with Client(base_url=live) as client:
        client.datasets.upsert_dataset(dataset="qa", examples=rows(10))
    proxy = FaultyProxy(live, ["503", "503"], match=b"GET /v1/datasets/qa ")
    with caplog.at_level("INFO", logger="datasync"), Client(base_url=proxy.url) as client:
        assert client.datasets.get_dataset("qa").total == 10
    proxy.close()
    retries = [r.getMessage() for r in caplog.records if r.name == "datasync.client"]
    assert retries == [
        "GET /v1/datasets/qa: HTTP 503; retry 1 of 3",
        "GET /v1/datasets/qa: HTTP 503; retry 2 of 3",
    ]


def test_retries_give_up_with_a_transport_error(live: str, store: Store) -> None:
    proxy = FaultyProxy(live, ["503"] * 5, match=b"GET /v1/datasets/qa ")
    with (
        Client(base_url=proxy.url, retries=1) as client,
        pytest.raises(datasync.TransportError),
    ):
        client.datasets.get_dataset("qa")
    proxy.close()


def test_an_unreachable_server_is_a_transport_error_naming_it() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()  # nothing listens there
    with Client(base_url=url, retries=0) as client, pytest.raises(datasync.TransportError) as err:
        client.datasets.upsert_dataset(dataset="qa", examples=rows(3))
    assert url in str(err.value) and err.value.code == "unreachable"


@pytest.fixture
def locked(store: Store) -> Iterator[str]:
    url, stop = serve(store, api_key="s3cret")
    yield url
    stop()


def test_a_wrong_api_key_is_an_auth_error_and_nothing_is_written(locked: str, store: Store) -> None:
    with Client(base_url=locked, api_key="wrong") as client, pytest.raises(datasync.AuthError):
        client.datasets.upsert_dataset(dataset="qa", examples=rows(5))
    with Client(base_url=locked) as client, pytest.raises(datasync.AuthError):
        client.datasets.list_datasets()
    assert store.list_datasets(10, None).items == ()
    with Client(base_url=locked, api_key="s3cret") as client:
        assert client.datasets.upsert_dataset(dataset="qa", examples=rows(5)).total == 5


def test_cli_push_with_a_wrong_key_exits_1(
    locked: str, store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows(5)))
    code = main(["push", str(path), "--dataset", "qa", "--server", locked, "--api-key", "nope"])
    assert code == 1
    assert "key" in capsys.readouterr().err.lower()
    assert store.list_datasets(10, None).items == ()


def test_a_streamed_body_is_replayed_whole_after_an_interrupted_attempt(tmp_path: Path) -> None:
    import gzip
    import tempfile

    from datasync.client._http_transport import SpooledBody, body_chunks
    from datasync.sync import ChangeKind, CommitHeader, Operation

    ops = [Operation(ChangeKind.DELETE, f"id-{i:06d}-{'x' * 40}") for i in range(40_000)]
    whole = b"".join(body_chunks(CommitHeader(message="m"), ops, chunk_bytes=4096))
    assert len(list(body_chunks(CommitHeader(message="m"), ops, chunk_bytes=4096))) > 3
    lines = gzip.decompress(whole).decode().splitlines()
    assert len(lines) == 40_001 and json.loads(lines[-1])["source_id"] == ops[-1].source_id
    with tempfile.SpooledTemporaryFile(1024) as spool:
        body = SpooledBody(body_chunks(CommitHeader(message="m"), ops, chunk_bytes=4096), spool)
        first = iter(body)
        sent = [next(first), next(first)]  # the connection breaks here
        assert whole.startswith(b"".join(sent))
        assert b"".join(body) == whole  # the retry sends every byte, from the start
        assert b"".join(body) == whole  # and again


def test_an_error_while_the_body_is_produced_ends_the_request() -> None:
    import tempfile

    from datasync.client._http_transport import SpooledBody

    def chunks() -> Iterator[bytes]:
        yield b"first"
        raise datasync.SourceError("the source changed", code="source_changed")

    with tempfile.SpooledTemporaryFile(1024) as spool, pytest.raises(datasync.SourceError):
        list(SpooledBody(chunks(), spool))


def test_a_source_changed_while_its_body_streams_writes_nothing(
    live: str, store: Store, tmp_path: Path
) -> None:
    # The body is sent while the second pass reads it: an edit between the passes breaks
    # the request mid-body, and the server, which commits only whole bodies, keeps nothing.
    path = tmp_path / "data.jsonl"
    data = rows(30_000)
    path.write_text("".join(json.dumps(r) + "\n" for r in data))

    def progress(stage: str, done: int) -> None:
        if stage == "hash" and done == len(data):  # the first pass is over
            edited = [dict(r) for r in data]
            edited[25_000]["output"] = {"answer": "edited"}
            path.write_text("".join(json.dumps(r) + "\n" for r in edited))

    with Client(base_url=live) as client:
        with pytest.raises(datasync.SourceError) as info:
            client.datasets.upsert_dataset(dataset="qa", examples=path, progress=progress)
        assert info.value.code == "source_changed"
        assert f"{path}:25001" in str(info.value)
        # The server noticed the broken body and let its transaction go: the same push again
        # (which must wait for that transaction) creates the dataset from nothing.
        again = client.datasets.upsert_dataset(dataset="qa", examples=path)
    assert (again.summary.created, again.version_id) == (len(data), again.version_id)
    assert len(store.list_versions("qa").items) == 1
