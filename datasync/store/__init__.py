"""The versioned store: SQLAlchemy Core schema, Alembic migrations, queries.

One API (:class:`Store`) over two backends: SQLite (embedded, one file, WAL) and PostgreSQL
(psycopg 3, JSONB). :func:`open_store` migrates the schema to the latest revision first.
"""

from datasync.store.engine import default_store_url, make_engine, normalize_url, upgrade
from datasync.store.records import (
    CommitResult,
    DatasetInfo,
    ManifestEntry,
    Page,
    VersionInfo,
)
from datasync.store.store import DEFAULT_SUMMARY_BITS, MAX_PAGE, Store, open_store
from datasync.store.tags import KINDS as TAGGABLE_KINDS
from datasync.store.tags import TagChange, tag_filter

__all__ = [
    "DEFAULT_SUMMARY_BITS",
    "MAX_PAGE",
    "TAGGABLE_KINDS",
    "CommitResult",
    "DatasetInfo",
    "ManifestEntry",
    "Page",
    "Store",
    "TagChange",
    "VersionInfo",
    "default_store_url",
    "make_engine",
    "normalize_url",
    "open_store",
    "tag_filter",
    "upgrade",
]
