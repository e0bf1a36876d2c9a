"""The Alembic migrations build exactly the schema that ``datasync/store/schema.py`` declares."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from datasync.store import open_store
from datasync.store.schema import metadata


def test_migrated_database_matches_the_declared_schema(store_url: str) -> None:
    open_store(store_url).close()  # runs every migration on an empty database
    engine = sa.create_engine(store_url, poolclass=sa.pool.NullPool)

    def include(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
        if type_ == "table" and name == "alembic_version":
            return False
        if type_ == "index" and obj.dialect_options["postgresql"]["using"] == "gin":
            return engine.dialect.name == "postgresql"  # GIN indexes exist on PostgreSQL only
        return True

    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": include}
            )
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == []
