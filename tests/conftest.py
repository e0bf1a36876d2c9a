"""Shared fixtures.

``store_url``: one store test, two databases. Every test using it runs on a fresh SQLite
file and on a fresh schema of the PostgreSQL at ``DATASYNC_TEST_PG`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Where PostgreSQL is unreachable the
PostgreSQL half is skipped with a message, except in CI (``CI=true``), where it fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

PG_URL = os.environ.get("DATASYNC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_engine() -> sa.Engine:
    engine = sa.create_engine(PG_URL, poolclass=sa.pool.NullPool)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        engine.dispose()
        message = f"PostgreSQL unreachable at {PG_URL}: {str(exc).splitlines()[0]}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI never skips the PostgreSQL tests)")
        pytest.skip(message)
    return engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
        return
    admin = _pg_engine()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield (
            sa.make_url(PG_URL)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
