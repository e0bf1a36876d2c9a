"""Alembic environment: runs on the connection handed over by :func:`datasync.store.upgrade`."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from datasync.store.schema import metadata


def run_migrations_online() -> None:
    connection: Connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():  # pragma: no cover - we never emit SQL scripts
    raise SystemExit("datasync migrations run online only: datasync db upgrade --db URL")
run_migrations_online()
