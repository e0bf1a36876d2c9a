"""The ASGI entry point for process managers: the app built from the environment.

    DATASYNC_DB=postgresql://db-host/datasync DATASYNC_API_KEYS_FILE=/etc/datasync/keys \\
        uvicorn --factory datasync.server.asgi:app_from_env --workers 4

Each worker process calls :func:`app_from_env` and opens its own connections. Migrate once
before starting several (``datasync db upgrade``; ``datasync serve --workers N`` does it).
SQLite takes one writer process: run it with one worker.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from datasync._logging import LEVEL_ENV, configure
from datasync.server.app import create_app
from datasync.server.config import ServerConfig
from datasync.server.guard import LOCAL_HOSTS

__all__ = ["app_from_env"]


def app_from_env() -> FastAPI:
    """The datasync app configured by ``DATASYNC_*`` variables (see :mod:`.config`); request
    lines go to stderr at ``DATASYNC_LOG_LEVEL`` (default INFO)."""
    configure(os.environ.get(LEVEL_ENV, "INFO").upper())
    config = ServerConfig.from_env()
    return create_app(
        config.db,
        api_keys=config.api_keys(),
        limits=config.limits,
        allowed_hosts=LOCAL_HOSTS if config.allowed_hosts is None else config.allowed_hosts,
        cors_origins=config.cors_origins,
    )
