"""hash_source: a location straight to (source id, hash) pairs, parsing JSONL on all cores.

For JSONL the parse (the costly part, with validation) runs in the worker processes next to
the hash: this process only splits lines and checks ids, and only ids and hashes travel
back. Other formats go through ``hash_examples(open_source(...))``. Both give the same
results in the same order; errors are collected by the same rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from datasync.canonical import ROWS_PER_CALL, SCHEMES, canonical_content_parsed, hash_bytes
from datasync.errors import CanonicalError, SourceError
from datasync.sources._example import Example, HashedExample
from datasync.sources._hashing import (
    CHUNK_SIZE,
    ContentIdentities,
    Failure,
    check_workers,
    hash_examples,
    refused,
    run_ordered,
)
from datasync.sources._locations import location_path, open_location, safe_reader
from datasync.sources._many import chained, is_many, source_files
from datasync.sources._mapping import ColumnMapping, Record, SourceGate, examples_from_records
from datasync.sources._open import detect_format, known_format, open_source, with_split
from datasync.sources._phoenix_api import is_phoenix_uri
from datasync.sources._problems import check_binary_mode, check_max_errors
from datasync.sources._text import parse_jsonl_contents, parse_jsonl_line, split_lines

_Line = tuple[int, bytes | None]
#: ``(line, source id, hash, content bytes if kept)``
_Hashed = tuple[int, str | None, str, bytes | None]


def _parse_and_hash(
    lines: list[_Line], name: str, mapping: ColumnMapping, scheme: str, keep: bool = False
) -> list[_Hashed | Failure]:
    """Worker body: ``(line, source id, hash, content)`` or a Failure for each non-blank
    line; ``content`` (the canonical content bytes) only when ``keep``.

    Lines are parsed ROWS_PER_CALL at a time by the strict parser (:func:`parse_jsonl_contents`),
    so rows' parts take ``canonical_content_parsed``; a row shaped ``{id, input, output,
    metadata}`` comes with its content bytes already, and then only its source id is left to
    check.
    """
    out: list[_Hashed | Failure] = []
    append = out.append
    shaped = mapping.input_keys is None and mapping.source_id_fn is None and mapping.split is None
    id_key = mapping.source_id_key if shaped else None  # then the parts are the row's objects
    for start in range(0, len(lines), ROWS_PER_CALL):
        batch = lines[start : start + ROWS_PER_CALL]
        parsed = parse_jsonl_contents(batch, name, id_key)
        for (lineno, _), result in zip(batch, parsed, strict=True):
            if isinstance(result, SourceError):
                append(Failure.of(result))
                continue
            if result is None:  # a blank line
                continue
            row, content = result
            if content is not None:
                # The row is exactly {id_key, input, metadata, output} with objects: to_example
                # would only check the id, and keeps a non-empty ASCII string as it is.
                source_id = row[id_key]
                if type(source_id) is str and source_id and source_id.isascii():
                    append(
                        (lineno, source_id, hash_bytes(content, scheme), content if keep else None)
                    )
                    continue
            append(_hashed(lineno, row, content, name, mapping, scheme, keep))
    return out


def _hashed(
    lineno: int,
    row: Any,
    content: bytes | None,
    name: str,
    mapping: ColumnMapping,
    scheme: str,
    keep: bool,
) -> _Hashed | Failure:
    """``(line, source id, hash, content)`` of a parsed row through the column mapping, or a
    Failure."""
    try:
        example = mapping.to_example(row, f"{name}:{lineno}")
    except SourceError as exc:
        return Failure.of(exc)
    try:
        if content is None:
            content = canonical_content_parsed(example.input, example.output, example.metadata)
        digest = hash_bytes(content, scheme)
    except CanonicalError as exc:
        return Failure.of(refused(exc, example))
    return lineno, example.source_id, digest, content if keep else None


def hash_source(
    uri: str,
    *,
    scheme: str = "blake3",
    workers: int | None = None,
    chunk_size: int = CHUNK_SIZE,
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
) -> Iterator[HashedExample]:
    """The same as ``hash_examples(open_source(uri, ...), scheme=, workers=)``, faster.

    JSONL sources are parsed, validated and hashed in worker processes (``workers`` as in
    :func:`hash_examples`); bodies never come back, so use this when only identities and
    hashes are needed (``datasync hash``, a sync manifest). Raises as open_source and
    hash_examples do. A directory or glob reads as one source, as in :func:`open_source`.
    """
    options = {
        "source_id_key": source_id_key, "input_keys": input_keys, "output_keys": output_keys,
        "metadata_keys": metadata_keys, "format": format, "strict": strict,
        "max_errors": max_errors, "binary": binary,
        "split_from_filename": split_from_filename, **storage_options,
    }  # fmt: skip
    if is_many(uri):
        return _many_hashed(uri, scheme, workers, chunk_size, options)
    kind = "phoenix" if is_phoenix_uri(uri) else detect_format(location_path(uri), format)
    if kind != "jsonl" or workers == 1:
        examples = open_source(uri, **options)
        return hash_examples(examples, scheme=scheme, workers=workers, chunk_size=chunk_size)
    if scheme not in SCHEMES:
        hash_bytes(b"", scheme)
    check_workers(workers)
    check_max_errors(max_errors)
    check_binary_mode(binary)
    mapping = ColumnMapping.build(
        source_id_key=source_id_key, input_keys=input_keys, output_keys=output_keys,
        metadata_keys=metadata_keys, strict=strict,
    )  # fmt: skip
    mapping = with_split(mapping, uri, split_from_filename)
    return _jsonl_hashed(uri, mapping, scheme, workers, chunk_size, max_errors, storage_options)


def _many_hashed(
    uri: str, scheme: str, workers: int | None, chunk_size: int, options: dict[str, Any]
) -> Iterator[HashedExample]:
    """hash_source of every file a directory or glob names, as one source."""
    if scheme not in SCHEMES:
        hash_bytes(b"", scheme)
    check_workers(workers)
    check_max_errors(options["max_errors"])
    check_binary_mode(options["binary"])
    ColumnMapping.build(
        source_id_key=options["source_id_key"], input_keys=options["input_keys"],
        output_keys=options["output_keys"], metadata_keys=options["metadata_keys"],
    )  # fmt: skip
    if options["format"] is not None:
        detect_format("", options["format"])
    return _many_hashed_stream(uri, scheme, workers, chunk_size, options)


def _many_hashed_stream(
    uri: str, scheme: str, workers: int | None, chunk_size: int, options: dict[str, Any]
) -> Iterator[HashedExample]:
    reserved = {"source_id_key", "input_keys", "output_keys", "metadata_keys", "format",
                "strict", "max_errors", "binary", "split_from_filename"}  # fmt: skip
    storage = {k: v for k, v in options.items() if k not in reserved}
    files = source_files(uri, known_format(options["format"]), storage)

    def read(name: str, budget: int) -> Iterator[HashedExample]:
        one = {**options, "max_errors": budget}
        return hash_source(name, scheme=scheme, workers=workers, chunk_size=chunk_size, **one)

    what = "source id" if options["source_id_key"] is not None else _CONTENT_IDENTITY
    yield from chained(files, read, lambda item: item.source_id, options["max_errors"], what)


_CONTENT_IDENTITY = "content (no source id key: identity is the content hash)"


def _line_chunks(lines: Iterator[_Line], size: int) -> Iterator[list[_Line]]:
    while chunk := list(islice(lines, size)):
        yield chunk


def _jsonl_hashed(
    uri: str,
    mapping: ColumnMapping,
    scheme: str,
    workers: int | None,
    chunk_size: int,
    max_errors: int,
    storage_options: dict[str, Any],
) -> Iterator[HashedExample]:
    identities = ContentIdentities()
    with open_location(uri, storage_options) as opened:
        name = opened.name
        gate = SourceGate(max_errors, lambda n: f"{name}:{n}")
        lines = split_lines(safe_reader(opened))
        jobs = ((None, (c, name, mapping, scheme)) for c in _line_chunks(lines, chunk_size))
        for _, results in run_ordered(_parse_and_hash, jobs, workers, chunk_size):
            for item in results:
                if isinstance(item, Failure):
                    gate.error(item.error())
                    continue
                lineno, source_id, digest, _ = item
                if gate.admit(source_id, lineno):
                    location = f"{name}:{lineno}"
                    identity = identities.identity(source_id, digest, location)
                    yield HashedExample(identity, digest, location)
        gate.finish()
    identities.finish()


def jsonl_examples_at(
    uri: str,
    line_numbers: Iterable[int],
    *,
    source_id_key: str | None = None,
    input_keys: Sequence[str] | None = None,
    output_keys: Sequence[str] | None = None,
    metadata_keys: Sequence[str] | None = None,
    strict: bool = False,
    max_errors: int = 1,
    split_from_filename: bool = False,
    **storage_options: Any,
) -> Iterator[Example]:
    """The examples on the given lines (1-based, ascending) of the JSONL source at ``uri``.

    Each wanted line is parsed, validated and mapped exactly as :func:`open_source` would
    (same :class:`Example`, same ``file:line`` location); the other lines are only split,
    never parsed, so reading back a few examples costs one pass over the bytes. Blank wanted
    lines and lines past the end yield nothing; callers compare the locations they get.
    Raises :class:`SourceError` for a bad wanted line, as open_source does.
    """
    mapping = ColumnMapping.build(
        source_id_key=source_id_key, input_keys=input_keys, output_keys=output_keys,
        metadata_keys=metadata_keys, strict=strict,
    )  # fmt: skip
    check_max_errors(max_errors)
    mapping = with_split(mapping, uri, split_from_filename)
    return _examples_at(uri, iter(line_numbers), mapping, max_errors, storage_options)


def _examples_at(
    uri: str,
    wanted: Iterator[int],
    mapping: ColumnMapping,
    max_errors: int,
    storage_options: dict[str, Any],
) -> Iterator[Example]:
    with open_location(uri, storage_options) as opened:
        name = opened.name
        records = _records_at(split_lines(safe_reader(opened)), wanted, name)
        yield from examples_from_records(records, mapping, lambda n: f"{name}:{n}", max_errors)


def _records_at(lines: Iterator[_Line], wanted: Iterator[int], name: str) -> Iterator[Record]:
    target = next(wanted, None)
    for lineno, line in lines:
        if target is None:
            return
        if lineno != target:
            continue
        record = parse_jsonl_line(lineno, line, name)
        if record is not None:
            yield record
        target = next(wanted, None)


def jsonl_contents_at(
    uri: str,
    line_numbers: Iterable[int],
    *,
    source_id_key: str | None = None,
    input_keys: Sequence[str] | None = None,
    output_keys: Sequence[str] | None = None,
    metadata_keys: Sequence[str] | None = None,
    strict: bool = False,
    workers: int | None = None,
    chunk_size: int = CHUNK_SIZE,
    split_from_filename: bool = False,
    **storage_options: Any,
) -> Iterator[ContentLine]:
    """``(line, source id, hash, content)`` for the given lines (1-based, ascending) of the
    JSONL source at ``uri``: what :func:`hash_source` computes for them, plus the canonical
    content bytes (``{"input":...,"metadata":...,"output":...}``, RFC 8785).

    The wanted lines are parsed and hashed in worker processes as in :func:`hash_source`
    (``workers`` alike); the others are only split. ``source id`` is ``None`` without a
    source id key or function. Blank wanted lines and lines past the end yield nothing.
    Raises the :class:`SourceError` of the first bad wanted line.
    """
    mapping = ColumnMapping.build(
        source_id_key=source_id_key, input_keys=input_keys, output_keys=output_keys,
        metadata_keys=metadata_keys, strict=strict,
    )  # fmt: skip
    check_workers(workers)
    mapping = with_split(mapping, uri, split_from_filename)
    return _contents_at(uri, iter(line_numbers), mapping, workers, chunk_size, storage_options)


#: ``(line, source id or None, hash, canonical content bytes)``
ContentLine = tuple[int, str | None, str, bytes]


def _contents_at(
    uri: str,
    wanted: Iterator[int],
    mapping: ColumnMapping,
    workers: int | None,
    chunk_size: int,
    storage_options: dict[str, Any],
) -> Iterator[ContentLine]:
    with open_location(uri, storage_options) as opened:
        name = opened.name
        lines = _lines_at(split_lines(safe_reader(opened)), wanted)
        jobs = ((None, (c, name, mapping, "blake3", True)) for c in _line_chunks(lines, chunk_size))
        for _, results in run_ordered(_parse_and_hash, jobs, workers, chunk_size):
            for item in results:
                if isinstance(item, Failure):
                    raise item.error()
                lineno, source_id, digest, content = item
                assert content is not None
                yield lineno, source_id, digest, content


def _lines_at(lines: Iterator[_Line], wanted: Iterator[int]) -> Iterator[_Line]:
    target = next(wanted, None)
    for lineno, line in lines:
        if target is None:
            return
        if lineno == target:
            yield lineno, line
            target = next(wanted, None)
