"""Read examples from files and locations as a validated stream (see docs/sources.md).

* :func:`open_source` reads JSONL, JSON arrays, CSV and Parquet from a path, ``-``,
  ``git://REPO@REV:PATH`` or any fsspec URL, and yields :class:`Example` values; a directory
  or a glob reads every matching file as one source (:func:`is_many`).
* :func:`examples_from_rows` and :func:`examples_from_arrow` apply the same column mapping
  and rules to in-memory rows, Arrow tables and pandas DataFrames.
* :func:`hash_examples` turns examples into :class:`HashedExample` (source id, content hash,
  location) in order, using worker processes for large streams; :func:`hash_source` does
  both for a location, parsing JSONL in the worker processes too.
* ``phoenix://HOST:PORT/DATASET`` reads an Arize Phoenix dataset; :class:`PhoenixAPI` is the
  small client of Phoenix's REST API that import and export use (see docs/phoenix.md).

Bad data raises :class:`~datasync.errors.SourceError` with a stable ``code`` and a
``location`` (``data.jsonl:12``, ``x.parquet row 7``).
"""

from datasync.sources._example import (
    MAX_JSON_ARRAY_BYTES,
    MAX_LINE_BYTES,
    Example,
    HashedExample,
)
from datasync.sources._hash_source import (
    ContentLine,
    hash_source,
    jsonl_contents_at,
    jsonl_examples_at,
)
from datasync.sources._hashing import CHUNK_SIZE, PARALLEL_AFTER, hash_examples
from datasync.sources._locations import location_path
from datasync.sources._many import is_many
from datasync.sources._mapping import ColumnMapping
from datasync.sources._open import (
    FORMATS,
    detect_format,
    examples_from_arrow,
    examples_from_rows,
    open_source,
)
from datasync.sources._phoenix import phoenix_rows
from datasync.sources._phoenix_api import (
    PhoenixAPI,
    PhoenixDataset,
    UploadResult,
    is_phoenix_uri,
    node_id_number,
    parse_phoenix_uri,
    phoenix_uri,
)
from datasync.sources._problems import BINARY_MODES

__all__ = [
    "BINARY_MODES",
    "CHUNK_SIZE",
    "FORMATS",
    "MAX_JSON_ARRAY_BYTES",
    "MAX_LINE_BYTES",
    "PARALLEL_AFTER",
    "ColumnMapping",
    "ContentLine",
    "Example",
    "HashedExample",
    "PhoenixAPI",
    "PhoenixDataset",
    "UploadResult",
    "detect_format",
    "examples_from_arrow",
    "examples_from_rows",
    "hash_examples",
    "hash_source",
    "is_many",
    "is_phoenix_uri",
    "jsonl_contents_at",
    "jsonl_examples_at",
    "location_path",
    "node_id_number",
    "open_source",
    "parse_phoenix_uri",
    "phoenix_rows",
    "phoenix_uri",
]
