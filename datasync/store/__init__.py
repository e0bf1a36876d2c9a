"""The versioned store: SQLAlchemy Core schema, Alembic migrations, queries.

One API (:class:`Store`) over two backends: SQLite (embedded, one file, WAL) and PostgreSQL
(psycopg 3, JSONB). :func:`open_store` migrates the schema to the latest revision first.

Names are imported on first use (PEP 562): the record types (``CommitResult``, ...) need no
database library, so a client that only talks HTTP never loads SQLAlchemy or Alembic.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from datasync.store.engine import default_store_url, make_engine, normalize_url, upgrade
    from datasync.store.ids import MAX_ID, checked_id, is_id_text
    from datasync.store.records import (
        CommitResult,
        DatasetInfo,
        DeletedDataset,
        DiffPage,
        ManifestEntry,
        Page,
        TagChange,
        VersionInfo,
    )
    from datasync.store.store import DEFAULT_SUMMARY_BITS, MAX_PAGE, Store, open_store
    from datasync.store.tags import KINDS as TAGGABLE_KINDS
    from datasync.store.tags import tag_filter

__all__ = [
    "DEFAULT_SUMMARY_BITS",
    "MAX_ID",
    "MAX_PAGE",
    "TAGGABLE_KINDS",
    "CommitResult",
    "DatasetInfo",
    "DeletedDataset",
    "DiffPage",
    "ManifestEntry",
    "Page",
    "Store",
    "TagChange",
    "VersionInfo",
    "checked_id",
    "default_store_url",
    "is_id_text",
    "make_engine",
    "normalize_url",
    "open_store",
    "tag_filter",
    "upgrade",
]

#: name -> (module, attribute)
_LAZY: dict[str, tuple[str, str]] = {
    **{
        name: ("datasync.store.engine", name)
        for name in ("default_store_url", "make_engine", "normalize_url", "upgrade")
    },
    **{name: ("datasync.store.ids", name) for name in ("MAX_ID", "checked_id", "is_id_text")},
    **{
        name: ("datasync.store.records", name)
        for name in (
            "CommitResult", "DatasetInfo", "DeletedDataset", "DiffPage", "ManifestEntry",
            "Page", "TagChange", "VersionInfo",
        )
    },
    **{
        name: ("datasync.store.store", name)
        for name in ("DEFAULT_SUMMARY_BITS", "MAX_PAGE", "Store", "open_store")
    },
    "TAGGABLE_KINDS": ("datasync.store.tags", "KINDS"),
    "tag_filter": ("datasync.store.tags", "tag_filter"),
}  # fmt: skip


def __getattr__(name: str) -> _typing.Any:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'datasync.store' has no attribute {name!r}")
    value = getattr(_importlib.import_module(where[0]), where[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
