"""Alembic migrations build the schema on an empty database, on both backends."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from datasync.store import make_engine, open_store, upgrade

#: Tables of revisions 0001 and 0002; later revisions only add (the check is "at least").
TABLES = {
    "alembic_version",
    "commits",
    "datasets",
    "examples",
    "revisions",
    "tag_changes",
    "versions",
}


def _head_revision() -> str:
    script = ScriptDirectory.from_config(_config())
    head = script.get_current_head()
    assert head is not None
    return head


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", "datasync.store:migrations")
    return config


def test_migrations_upgrade_an_empty_database(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        assert set(sa.inspect(engine).get_table_names()) == set()
        upgrade(engine)
        tables = set(sa.inspect(engine).get_table_names())
        assert tables >= TABLES
        with engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        assert version == _head_revision()
        upgrade(engine)  # a second run changes nothing
        assert set(sa.inspect(engine).get_table_names()) == tables
    finally:
        engine.dispose()


def test_open_store_upgrades_automatically_and_keeps_data(store_url: str) -> None:
    store = open_store(store_url)
    store.create_dataset("kept")
    store.close()
    again = open_store(store_url)
    try:
        assert again.get_dataset("kept").name == "kept"
    finally:
        again.close()


def test_postgresql_indexes_metadata_with_gin(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        upgrade(engine)
        indexes = {ix["name"] for ix in sa.inspect(engine).get_indexes("revisions")}
        assert "ix_revisions_version" in indexes
        if engine.dialect.name == "postgresql":
            assert "ix_revisions_metadata_gin" in indexes
            with engine.connect() as conn:
                types = dict(
                    conn.execute(
                        sa.text(
                            "SELECT column_name, data_type FROM information_schema.columns"
                            " WHERE table_name = 'revisions' AND table_schema = current_schema()"
                        )
                    ).all()
                )
            assert types["metadata"] == types["input"] == "jsonb"
    finally:
        engine.dispose()


def test_sqlite_store_is_one_file_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "store.sqlite"
    store = open_store(str(path))
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert path.exists()
    finally:
        store.close()
