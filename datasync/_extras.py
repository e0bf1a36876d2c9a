"""Optional dependencies, imported where a feature needs them (never at module level).

The base install (``pip install datasync-engine``) is the embedded SQLite store, the
JSONL/JSON/CSV/git sources and the HTTP client. Everything heavier is an extra:

==========  ==========================================  =====================================
extra       modules                                     features
==========  ==========================================  =====================================
parquet     pyarrow                                     Parquet files, Arrow tables, DataFrames
server      fastapi, uvicorn, fastapi-offline, jinja2   ``datasync serve``, ``datasync.server``
postgres    psycopg                                     a ``postgresql://`` store
zstd        zstandard                                   ``.zst`` / ``.zstd`` sources
http        aiohttp                                     ``http(s)://`` sources (fsspec)
s3, gcs     s3fs, gcsfs                                 ``s3://``, ``gs://`` sources
polars      polars (and pyarrow)                        polars DataFrames in, ``to_polars()``
hf          datasets (and pyarrow)                      Hugging Face datasets in
==========  ==========================================  =====================================

:func:`require` imports a module or raises :class:`~datasync.errors.MissingExtraError`
naming the extra to install. ``tests/test_extras.py`` fails when a module that the base
install loads imports one of these at its top.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Final

#: module -> the extra that installs it
EXTRA_OF: Final = {
    "pyarrow": "parquet",
    "pandas": "parquet",
    "fastapi": "server",
    "fastapi_offline": "server",
    "starlette": "server",
    "pydantic": "server",
    "uvicorn": "server",
    "jinja2": "server",
    "psycopg": "postgres",
    "zstandard": "zstd",
    "aiohttp": "http",
    "s3fs": "s3",
    "gcsfs": "gcs",
    "polars": "polars",
    "datasets": "hf",
}


def require(module: str, feature: str) -> ModuleType:
    """Import ``module`` (a key of :data:`EXTRA_OF`, or a submodule of one) for ``feature``.

    Raises :class:`~datasync.errors.MissingExtraError` naming the extra when it is missing.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        from datasync.errors import MissingExtraError

        top = module.split(".", 1)[0]
        missing = (exc.name or top).split(".", 1)[0]
        raise MissingExtraError(feature, EXTRA_OF.get(top, top), missing) from None
