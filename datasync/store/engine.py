"""Store locations and engines: URLs, the embedded default, SQLite pragmas, migrations.

SQLite runs in WAL mode with foreign keys on; writes take the database lock when their
transaction begins (``BEGIN IMMEDIATE``), so two writers queue instead of failing half-way.
PostgreSQL goes through psycopg 3 (``postgresql+psycopg://``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine

from datasync._env import STORE_ENV, setting
from datasync._extras import require
from datasync.errors import DatasyncError, UsageError

__all__ = ["default_store_url", "make_engine", "normalize_url", "upgrade"]

_SCRIPT_LOCATION = "datasync.store:migrations"


def default_store_url() -> str:
    """The embedded store: ``$DATASYNC_STORE`` if set, else a SQLite file under the data home.

    The default file is ``$XDG_DATA_HOME/datasync/store.sqlite`` (``XDG_DATA_HOME`` defaults
    to ``~/.local/share``). ``DATASYNC_STORE`` may be a file path or a database URL; set but
    empty, it is a :class:`UsageError` (``empty_env``).
    """
    override = setting(STORE_ENV)
    if override is not None:
        return normalize_url(override)
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return normalize_url(str(Path(data_home) / "datasync" / "store.sqlite"))


def normalize_url(location: str) -> str:
    """A SQLAlchemy URL for ``location``: a file path becomes SQLite, ``postgresql://`` psycopg.

    Raises :class:`UsageError` (``unsupported_store``) for other database kinds.
    """
    if "://" not in location:
        return f"sqlite:///{Path(location).expanduser().resolve()}"
    url = sa.make_url(location)
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if url.drivername in ("sqlite", "sqlite+pysqlite"):
        return location
    raise UsageError(
        f"unsupported store {url.drivername!r}: use a SQLite path or a postgresql:// URL",
        code="unsupported_store",
    )


def _parse_int(literal: str) -> int | float:
    # JSONB keeps numbers as decimals and writes a float such as 4.603933734167349e16 back as
    # "46039337341673490"; an integer a double cannot hold exactly was a double: read it so.
    value = int(literal)
    if abs(value) <= 2**53 or float(value) == value:
        return value
    return float(literal)


def _json_loads(text: str | bytes) -> Any:
    """JSON documents as the store reads them back: numbers keep the value they were given."""
    return json.loads(text, parse_int=_parse_int)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's begin event below decide when transactions start (pysqlite's own
    # implicit BEGIN would defer the write lock until the first write).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "foreign_keys=ON",
        "busy_timeout=30000",
        "synchronous=NORMAL",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get("datasync_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (see :func:`normalize_url`); SQLite parent folders are created."""
    url = normalize_url(url)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, json_deserializer=_json_loads)
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    require("psycopg", "a PostgreSQL store")
    return sa.create_engine(url, pool_pre_ping=True, json_deserializer=_json_loads)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations on ``engine`` up to ``revision`` (idempotent).

    Raises :class:`DatasyncError` (``store_unreachable``) when the database cannot be opened.
    """
    config = Config()
    config.set_main_option("script_location", _SCRIPT_LOCATION)
    try:
        connection = engine.connect()
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        where = engine.url.render_as_string(hide_password=True)
        raise DatasyncError(
            f"cannot open the store {where}: {reason}", code="store_unreachable"
        ) from None
    with connection, connection.begin():
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
