"""Tag tests reuse the shared fixtures: ``store`` and ``make_client``/``client`` (embedded and
a live uvicorn server) from tests/client, ``run``/``target`` (CLI, embedded and --server) from
tests/cli; all sit on ``store_url`` (SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.cli.conftest import run, target
from tests.client.conftest import client, make_client, store

__all__ = ["client", "make_client", "run", "store", "target"]
