"""Experiment fixtures: the client fixtures of tests/client (embedded and a live uvicorn server,
each over SQLite and PostgreSQL) and the CLI targets of tests/cli, reused, not copied."""

from __future__ import annotations

from tests.cli.conftest import run, target  # noqa: F401 - fixtures
from tests.client.conftest import client, make_client, store  # noqa: F401 - fixtures
