"""The values a source yields, and the documented limits every reader applies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

#: Longest line (JSONL, CSV physical line) a reader accepts, in bytes, without its newline.
MAX_LINE_BYTES: Final = 16 * 1024 * 1024
#: Largest JSON array file (``.json``), in bytes: such a file is parsed whole, unlike JSONL.
MAX_JSON_ARRAY_BYTES: Final = 256 * 1024 * 1024
#: Rows per Arrow record batch read from a Parquet file.
PARQUET_BATCH_ROWS: Final = 4096


@dataclass(frozen=True, slots=True)
class Example:
    """One example read from a source.

    ``source_id`` is the identity from the source id key (or ``source_id_fn``), always a
    non-empty string; it is ``None`` when no key was given, which means the identity is the
    content hash (:func:`~datasync.sources.hash_examples` fills it in). ``input``, ``output``
    and ``metadata`` are JSON objects that passed the content-hash v1 rules. ``location`` says
    where the example came from: ``data.jsonl:12`` (line), ``x.parquet row 7`` (0-based row),
    ``<rows> row 3`` (0-based index in memory).
    """

    source_id: str | None
    input: dict[str, Any]
    output: dict[str, Any]
    metadata: dict[str, Any]
    location: str


@dataclass(frozen=True, slots=True)
class HashedExample:
    """An example's identity and content hash, in the order the source yielded it.

    ``source_id`` is the example's source id, or its content hash when it had none.
    """

    source_id: str
    hash: str
    location: str
