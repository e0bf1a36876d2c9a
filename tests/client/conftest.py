"""Clients over both backends: the embedded store and a real uvicorn server on 127.0.0.1.

``client`` is parametrized over ``embedded`` and ``http``; both sit on the ``store_url``
fixture of tests/conftest.py (SQLite and PostgreSQL), so each client test runs four ways.
``store`` is the same database opened directly, to assert on its state.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import uvicorn

from datasync.client import Client
from datasync.server import create_app
from datasync.store import Store, open_store

MakeClient = Callable[..., Client]


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


def serve(store: Store, api_key: str | None = None) -> tuple[str, Callable[[], None]]:
    """Start a live server over ``store``; its URL and a stop function."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(store, api_key=api_key), log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start within 15 s")
        time.sleep(0.02)

    def stop() -> None:
        server.should_exit = True
        thread.join(15)
        sock.close()

    return f"http://127.0.0.1:{port}", stop


@pytest.fixture
def server_url(store: Store) -> Iterator[str]:
    url, stop = serve(store)
    yield url
    stop()


@pytest.fixture(params=["embedded", "http"])
def make_client(
    request: pytest.FixtureRequest, store_url: str, store: Store
) -> Iterator[MakeClient]:
    """``make_client()`` -> a new :class:`Client` of the same store, embedded or remote."""
    made: list[Client] = []
    url = None
    stop: Callable[[], None] = lambda: None  # noqa: E731
    if request.param == "http":
        url, stop = serve(store)

    def make() -> Client:
        client = Client(base_url=url) if url else Client(store=store_url)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
    stop()


@pytest.fixture
def client(make_client: MakeClient) -> Client:
    return make_client()


def rows(n: int, start: int = 0, tag: str = "") -> list[dict[str, object]]:
    """``n`` QA rows with ids ``e00000``...; ``tag`` changes their content."""
    return [
        {
            "id": f"e{i:05d}",
            "input": {"question": f"what is {i} + {i}?{tag}"},
            "output": {"answer": str(2 * i)},
            "metadata": {"split": "test" if i % 4 == 0 else "train"},
        }
        for i in range(start, start + n)
    ]
