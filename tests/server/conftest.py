"""A real uvicorn server on 127.0.0.1 (free port, in a thread) over each store backend."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from datasync.server import Limits, create_app
from datasync.store import Store, open_store

StartServer = Callable[..., httpx.Client]
STARTUP_SECONDS = 15


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def start_server(store: Store) -> Iterator[StartServer]:
    """``start_server(api_key=None, limits=None, client_key=None, **create_app_options)`` -> an
    httpx client for a live server."""
    running: list[tuple[uvicorn.Server, threading.Thread, httpx.Client, socket.socket]] = []

    def start(
        api_key: str | None = None,
        limits: Limits | None = None,
        client_key: str | None = None,
        **app_options: Any,
    ) -> httpx.Client:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            create_app(store, api_key=api_key, limits=limits, **app_options),
            log_level="warning",
            lifespan="on",
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + STARTUP_SECONDS
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start within 15 s")
            time.sleep(0.02)
        headers = {"Authorization": f"Bearer {client_key}"} if client_key else {}
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30)
        running.append((server, thread, client, sock))
        return client

    yield start
    for server, thread, client, sock in running:
        client.close()
        server.should_exit = True
        thread.join(STARTUP_SECONDS)
        sock.close()


@pytest.fixture
def api(start_server: StartServer) -> httpx.Client:
    """A client of an open server (no API key) with default limits."""
    return start_server()
