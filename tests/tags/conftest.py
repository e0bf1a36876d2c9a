"""Tag tests reuse the shared fixtures, none copied: ``store`` and ``make_client``/``client``
(embedded and a live uvicorn server) from tests/client, ``run``/``target`` (CLI, embedded and
``--server``) from tests/cli, ``api`` (an httpx client of a live server) from tests/server.
All sit on ``store_url`` (SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.cli.conftest import run, target
from tests.client.conftest import client, make_client, store
from tests.server.conftest import api, start_server

__all__ = ["api", "client", "make_client", "run", "start_server", "store", "target"]
