"""Entry points: open_source (any location and format), examples_from_rows/_arrow (memory)."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from typing import IO, TYPE_CHECKING, Any, Final

from datasync._extras import require
from datasync.canonical import canonicalize
from datasync.errors import CanonicalError, SourceError, UsageError
from datasync.sources._example import PARQUET_BATCH_ROWS, Example
from datasync.sources._locations import (
    Opened,
    compression_of,
    location_path,
    open_location,
    safe_reader,
)
from datasync.sources._many import chained, is_many, source_files, split_name
from datasync.sources._mapping import ColumnMapping, Record, SourceIdFn, examples_from_records
from datasync.sources._phoenix import phoenix_examples
from datasync.sources._phoenix_api import is_phoenix_uri
from datasync.sources._problems import check_binary_mode, check_max_errors, from_canonical
from datasync.sources._text import csv_records, json_array_records, jsonl_records

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS: Final = ("jsonl", "json", "csv", "parquet")
_ALIASES: Final = {"ndjson": "jsonl", "jsonlines": "jsonl", "pq": "parquet"}
_EXTENSIONS: Final = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonlines": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def detect_format(path: str, format: str | None) -> str:
    """The format to read: ``format`` if given, else from ``path``'s extension. UsageError."""
    if format is not None:
        chosen = _ALIASES.get(format.lower(), format.lower())
        if chosen not in FORMATS:
            raise UsageError(
                f"unknown format {format!r}; choose one of {', '.join(FORMATS)}",
                code="unknown_format",
            )
        return chosen
    if not path:
        return "jsonl"  # stdin
    base = path.lower()
    if compression_of(base):
        base = base.rsplit(".", 1)[0]
    for suffix, kind in _EXTENSIONS.items():
        if base.endswith(suffix):
            return kind
    raise UsageError(
        f"cannot tell the format of {path!r} from its name; pass format= "
        f"(--format) with one of {', '.join(FORMATS)}",
        code="unknown_format",
    )


def open_source(
    uri: str,
    *,
    source_id_key: str | None = None,
    input_keys: Sequence[str] | None = None,
    output_keys: Sequence[str] | None = None,
    metadata_keys: Sequence[str] | None = None,
    format: str | None = None,
    strict: bool = False,
    max_errors: int = 1,
    binary: str | None = None,
    split_from_filename: bool = False,
    **storage_options: Any,
) -> Iterator[Example]:
    """Stream the examples of the source at ``uri``, validated, in file order.

    ``uri`` is a path, ``-`` (stdin), ``file://``, ``memory://``, ``s3://``, ``gs://``,
    ``http(s)://`` (fsspec, with ``storage_options``) or ``git://REPO@REV:PATH``. The format
    comes from the extension (``.jsonl``/``.ndjson``, ``.json``, ``.csv``, ``.parquet``;
    JSONL/JSON/CSV may end in ``.gz`` or ``.zst``) unless ``format`` is given. Rows become
    examples by the column mapping (see :class:`ColumnMapping`). ``phoenix://HOST:PORT/DATASET``
    reads an Arize Phoenix dataset over its REST API (``storage_options``: ``api_key``,
    ``timeout``; see docs/phoenix.md).

    A directory or a glob (``data/``, ``data/*.jsonl``; also fsspec and git locations) reads
    every matching file in sorted order as one source; an id in two files is a
    ``duplicate_source_id`` error naming both. ``split_from_filename`` sets each example's
    ``metadata.split`` to its file's name without extensions (``train`` for
    ``train.jsonl``; a row holding another ``split`` is refused, ``split_conflict``).

    Raises :class:`~datasync.errors.SourceError` (``code`` and ``location``) for bad data,
    after collecting up to ``max_errors`` of them (0: no limit), and
    :class:`~datasync.errors.UsageError` for bad options. Options and the format are checked
    at the call; the location is opened when iteration starts.
    """
    mapping = ColumnMapping.build(
        source_id_key=source_id_key,
        input_keys=input_keys,
        output_keys=output_keys,
        metadata_keys=metadata_keys,
        strict=strict,
    )
    check_max_errors(max_errors)
    if is_phoenix_uri(uri):
        if format is not None or binary is not None:
            raise UsageError(
                "format and binary do not apply to a Phoenix dataset", code="bad_option"
            )
        return phoenix_examples(uri, mapping, max_errors, **storage_options)
    check_binary_mode(binary)
    if is_many(uri):
        if format is not None:
            detect_format("", format)
        return _stream_many(
            uri, mapping, format, max_errors, binary, split_from_filename, storage_options
        )
    kind = detect_format(location_path(uri), format)
    if kind == "parquet":
        require("pyarrow", "reading Parquet")
    mapping = with_split(mapping, uri, split_from_filename)
    return _stream(uri, mapping, kind, max_errors, binary, storage_options)


def with_split(mapping: ColumnMapping, uri: str, split_from_filename: bool) -> ColumnMapping:
    """``mapping`` that sets ``metadata.split`` from ``uri``'s file name, if asked."""
    if not split_from_filename:
        return mapping
    path = location_path(uri)
    if not path:
        raise UsageError("split_from_filename needs a file name; stdin has none", code="bad_option")
    return dataclasses.replace(mapping, split=split_name(path))


def known_format(format: str | None) -> Callable[[str], bool]:
    """Whether a directory's file is read: its name tells a format (or ``format`` is given)."""

    def known(name: str) -> bool:
        try:
            detect_format(name, format)
        except UsageError:
            return False
        return True

    return known


def _stream_many(
    uri: str,
    mapping: ColumnMapping,
    format: str | None,
    max_errors: int,
    binary: str | None,
    split_from_filename: bool,
    storage_options: dict[str, Any],
) -> Iterator[Example]:
    files = source_files(uri, known_format(format), storage_options)

    def read(name: str, budget: int) -> Iterator[Example]:
        kind = detect_format(location_path(name), format)
        if kind == "parquet":
            require("pyarrow", "reading Parquet")
        one = with_split(mapping, name, split_from_filename)
        return _stream(name, one, kind, budget, binary, storage_options)

    yield from chained(files, read, lambda example: example.source_id, max_errors)


def _stream(
    uri: str,
    mapping: ColumnMapping,
    kind: str,
    max_errors: int,
    binary: str | None,
    storage_options: dict[str, Any],
) -> Iterator[Example]:
    with ExitStack() as stack:
        opened = stack.enter_context(open_location(uri, storage_options))
        if kind == "parquet":
            if opened.compression:
                raise UsageError(
                    "Parquet files are compressed inside; drop the .gz/.zst", code="unknown_format"
                )
            records = _parquet_records(opened, stack, binary)
            location_of: Callable[[int], str] = lambda n: f"{opened.name} row {n}"  # noqa: E731
        else:
            reader = {"jsonl": jsonl_records, "json": json_array_records, "csv": csv_records}
            records = reader[kind](safe_reader(opened), opened.name)
            location_of = lambda n: f"{opened.name}:{n}"  # noqa: E731
        yield from examples_from_records(records, mapping, location_of, max_errors)


def _seekable(opened: Opened, stack: ExitStack) -> IO[bytes]:
    """The stream itself if it can seek (Parquet needs it), else a spooled temporary copy."""
    stream = opened.stream
    if opened.seekable:
        return stream
    spool = stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 - the stack closes it
    read = safe_reader(opened)
    while chunk := read(1 << 20):
        spool.write(chunk)
    spool.seek(0)
    return spool


def _parquet_records(opened: Opened, stack: ExitStack, binary: str | None) -> Iterator[Record]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from datasync.sources._arrow import arrow_records, check_schema

    try:
        parquet = pq.ParquetFile(_seekable(opened, stack))
    except (pa.ArrowException, OSError) as exc:
        raise SourceError(
            f"not a readable Parquet file: {exc}", code="invalid_parquet", location=opened.name
        ) from None
    check_schema(parquet.schema_arrow, opened.name, binary)
    return arrow_records(
        _guarded(parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS), opened.name),
        opened.name,
        binary,
    )


def _guarded(batches: Iterator[pa.RecordBatch], name: str) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa

    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError) as exc:
            raise SourceError(
                f"cannot read Parquet data: {exc}", code="invalid_parquet", location=name
            ) from None
        yield batch


def _checked_rows(rows: Iterable[Any], origin: str) -> Iterator[Record]:
    for i, row in enumerate(rows):
        try:
            canonicalize(row)
        except CanonicalError as exc:
            yield from_canonical(exc, f"{origin} row {i}")
            continue
        yield i, row


def examples_from_rows(
    rows: Iterable[Mapping[str, Any]],
    *,
    source_id_key: str | None = None,
    source_id_fn: SourceIdFn | None = None,
    input_keys: Sequence[str] | None = None,
    output_keys: Sequence[str] | None = None,
    metadata_keys: Sequence[str] | None = None,
    strict: bool = False,
    max_errors: int = 1,
    origin: str = "<rows>",
) -> Iterator[Example]:
    """Examples from in-memory rows (dicts), by the same mapping and rules as open_source.

    Each row is checked whole by content hash v1 (numpy scalars are accepted; values are
    kept as given). ``source_id_fn(row)`` may compute the id instead of ``source_id_key``.
    Locations read ``<origin> row N`` (0-based). Raises SourceError / UsageError as
    :func:`open_source` does.
    """
    mapping = ColumnMapping.build(
        source_id_key=source_id_key,
        source_id_fn=source_id_fn,
        input_keys=input_keys,
        output_keys=output_keys,
        metadata_keys=metadata_keys,
        strict=strict,
    )
    check_max_errors(max_errors)
    records = _checked_rows(rows, origin)
    return examples_from_records(records, mapping, lambda n: f"{origin} row {n}", max_errors)


def examples_from_arrow(
    data: Any,
    *,
    source_id_key: str | None = None,
    input_keys: Sequence[str] | None = None,
    output_keys: Sequence[str] | None = None,
    metadata_keys: Sequence[str] | None = None,
    strict: bool = False,
    max_errors: int = 1,
    binary: str | None = None,
    origin: str = "<arrow>",
) -> Iterator[Example]:
    """Examples from a pyarrow Table, RecordBatch, iterable of batches, a pandas or polars
    DataFrame, a Hugging Face ``datasets.Dataset``, or any object exporting an Arrow stream
    (``__arrow_c_stream__``, the Arrow PyCapsule interface).

    Values go through the same Arrow -> JSON mapping as Parquet files (a pandas DataFrame is
    converted with ``pyarrow.Table.from_pandas``, index dropped; a Hugging Face dataset is
    read as its Arrow table, its row selection applied; a stream is read batch by batch).
    Raises as open_source.
    """
    mapping = ColumnMapping.build(
        source_id_key=source_id_key,
        input_keys=input_keys,
        output_keys=output_keys,
        metadata_keys=metadata_keys,
        strict=strict,
    )
    check_max_errors(max_errors)
    check_binary_mode(binary)
    require("pyarrow", "reading Arrow tables and DataFrames")
    from datasync.sources._arrow import arrow_records, check_schema

    batches, schema = _as_batches(data, origin)
    if schema is not None:
        check_schema(schema, origin, binary)
    records = arrow_records(_checked_batches(batches, origin, binary), origin, binary)
    return examples_from_records(records, mapping, lambda n: f"{origin} row {n}", max_errors)


def _as_batches(data: Any, origin: str) -> tuple[Iterable[pa.RecordBatch], pa.Schema | None]:
    import pyarrow as pa

    if type(data).__module__.startswith("pandas"):
        try:
            data = pa.Table.from_pandas(data, preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise SourceError(
                f"cannot convert the DataFrame to Arrow: {exc}",
                code="unsupported_type",
                location=origin,
            ) from None
    if type(data).__module__.startswith("datasets.") and hasattr(data, "with_format"):
        data = data.with_format("arrow")[:]  # the Dataset's Arrow table, not row by row
    if isinstance(data, pa.Table):
        return data.to_batches(), data.schema
    if isinstance(data, pa.RecordBatch):
        return [data], data.schema
    if isinstance(data, pa.RecordBatchReader):
        return data, data.schema
    if hasattr(type(data), "__arrow_c_stream__"):  # polars, and any Arrow PyCapsule exporter
        reader = pa.RecordBatchReader.from_stream(data)
        return reader, reader.schema
    if isinstance(data, Iterable):
        return data, None
    raise UsageError(
        "examples_from_arrow takes a Table, RecordBatch(es), a DataFrame or an Arrow stream, "
        f"not {type(data).__name__}",
        code="bad_option",
    )


def _checked_batches(
    batches: Iterable[Any], origin: str, binary: str | None
) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa

    from datasync.sources._arrow import check_schema

    checked: pa.Schema | None = None
    for batch in batches:
        if not isinstance(batch, pa.RecordBatch):
            raise UsageError(
                f"expected pyarrow RecordBatch items, not {type(batch).__name__}", code="bad_option"
            )
        if checked is None or not batch.schema.equals(checked):
            check_schema(batch.schema, origin, binary)
            checked = batch.schema
        yield batch
