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


def test_migration_0004_numbers_existing_versions_per_dataset_in_commit_order(
    store_url: str,
) -> None:
    """A store at 0003 whose versions carry store-wide numbers (two datasets committed in
    turn: qa 1, 3, 5 and other 2, 4) reads back as qa 1, 2, 3 and other 1, 2."""
    engine = make_engine(store_url)
    try:
        upgrade(engine, "0003")
        with engine.begin() as conn:
            for ds_id, name in ((1, "qa"), (2, "other")):
                conn.execute(
                    sa.text(
                        "INSERT INTO datasets (id, name, description, tags, created_at)"
                        " VALUES (:id, :name, '', '{}', :at)"
                    ),
                    {"id": ds_id, "name": name, "at": "2026-01-01T00:00:00+00:00"},
                )
            for vid, ds_id, parent in ((1, 1, None), (2, 2, None), (3, 1, 1), (4, 2, 2), (5, 1, 3)):
                conn.execute(
                    sa.text(
                        "INSERT INTO versions (id, dataset_id, number, parent_id, created_at,"
                        " mode, created, patched, deleted, unchanged, total, root_digest,"
                        " leaf_table, tags) VALUES (:id, :ds, :id, :parent, :at, 'mirror',"
                        " 0, 0, 0, 0, 0, '', :leaf, '{}')"
                    ),
                    {
                        "id": vid,
                        "ds": ds_id,
                        "parent": parent,
                        "at": "2026-01-01T00:00:00+00:00",
                        "leaf": b"",
                    },
                )
            conn.execute(sa.text("UPDATE datasets SET head_version_id = 5 WHERE id = 1"))
            conn.execute(sa.text("UPDATE datasets SET head_version_id = 4 WHERE id = 2"))
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT id, dataset_id, number FROM versions ORDER BY id")
            ).all()
        assert [tuple(r) for r in rows] == [(1, 1, 1), (2, 2, 1), (3, 1, 2), (4, 2, 2), (5, 1, 3)]
    finally:
        engine.dispose()
    store = open_store(store_url)
    try:
        assert [v.id for v in store.list_versions("qa").items] == [3, 2, 1]
        assert store.get_dataset("other").head_version_id == 2
        assert store.get_version("qa", 2).parent_id == 1
    finally:
        store.close()


def _id_types(engine: sa.Engine) -> dict[tuple[str, str], str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT table_name, column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = current_schema()"
                " AND column_name != 'source_id'"
                " AND (column_name IN ('id', 'reused_from', 'number') OR column_name LIKE '%\\_id')"
            )
        ).all()
    return {(t, c): d for t, c, d in rows}


def test_ids_become_64_bit_and_data_survives_migration_0005(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        upgrade(engine, "0004")
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO datasets (name, description, tags, created_at)"
                    " VALUES ('old', '', '{}', CURRENT_TIMESTAMP)"
                )
            )
        upgrade(engine)
        if engine.dialect.name == "postgresql":
            types = _id_types(engine)
            assert types[("datasets", "id")] == types[("revisions", "example_id")] == "bigint"
            assert set(types.values()) == {"bigint"}, types
            with engine.begin() as conn:
                conn.execute(
                    sa.text("SELECT setval(pg_get_serial_sequence('datasets', 'id'), :n)"),
                    {"n": 2**40},
                )
    finally:
        engine.dispose()
    store = open_store(store_url)
    try:
        assert store.get_dataset("old").id == 1
        made = store.create_dataset("new")
        if store.dialect == "postgresql":
            assert made.id == 2**40 + 1
        assert store.get_dataset(str(made.id)).name == "new"
    finally:
        store.close()


def test_the_bigint_migration_goes_back_down(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        upgrade(engine)
        config = _config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            from alembic import command

            command.downgrade(config, "0004")
        if engine.dialect.name == "postgresql":
            assert set(_id_types(engine).values()) == {"integer"}
        upgrade(engine)
    finally:
        engine.dispose()
