"""Arize Phoenix datasets as a source: ``phoenix://HOST:PORT/DATASET`` read like a file.

:func:`phoenix_examples` yields the examples of a Phoenix dataset version (default: the
newest), read from ``GET /v1/datasets/{id}/jsonl?version_id=V`` (one response: Phoenix builds
it whole) and parsed line by line with the strict parser every JSONL file goes through, so a
value content hash v1 refuses (an inexact integer, nesting deeper than 128, NaN, a duplicate
key) is a :class:`SourceError` located at ``phoenix://HOST:PORT/DATASET example ID``.

The source id of a Phoenix example is the ``id`` Phoenix gives it: the example's own id
(``example_ids`` at upload, Phoenix's "external id") where it has one, else Phoenix's node id
(``RGF0YXNldEV4YW1wbGU6MQ==``, which is ``DatasetExample:1`` in base64). Splits and span
links are not content (Phoenix's content hash leaves them out too) and are not carried.
Server errors are :class:`~datasync.sources._phoenix_api.PhoenixAPI`'s.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import BytesIO
from typing import Any, Final

from datasync.errors import SourceError, UsageError
from datasync.sources._example import Example
from datasync.sources._mapping import ColumnMapping, Record, examples_from_records
from datasync.sources._phoenix_api import PhoenixAPI, PhoenixLocation, parse_phoenix_uri
from datasync.sources._problems import check_max_errors
from datasync.sources._text import parse_jsonl_line, split_lines

__all__ = ["phoenix_examples", "phoenix_rows"]

#: Keys of Phoenix's JSONL rows that are not example content.
_NOT_CONTENT: Final = ("node_id", "splits")


def _lenient_id(line: bytes) -> str | None:
    """The ``id`` of a line the strict parser refused (Python's parser takes NaN, any
    integer and repeated keys), to name the example in the error."""
    try:
        row = json.loads(line)
    except ValueError:
        return None
    value = row.get("id") if isinstance(row, dict) else None
    return str(value) if value is not None else None


def phoenix_rows(body: bytes, name: str) -> Iterator[Record]:
    """Records of Phoenix's JSONL ``body``: ``(line, row)`` with the row as Phoenix wrote it
    (``id``, ``node_id``, ``input``, ``output``, ``metadata``, ``splits``), or the
    :class:`SourceError` of a line the strict parser refuses, located at
    ``NAME example ID``."""
    for lineno, line in split_lines(BytesIO(body).read):
        record = parse_jsonl_line(lineno, line, name)
        if record is None:
            continue
        if isinstance(record, SourceError) and line is not None:
            example = _lenient_id(line)
            if example is not None:
                where = f"{name} example {example}"
                path = record.details.get("path")
                said = record.message
                if record.location and said.startswith(record.location + ": "):
                    said = said[len(record.location) + 2 :]
                record = SourceError(
                    f"{said} (Phoenix JSONL line {lineno});"
                    " datasync's content hash v1 refuses it: fix the example in Phoenix",
                    code=record.code,
                    location=where,
                    details={"path": path, "example_id": example} if path else None,
                )
        yield record


def phoenix_examples(
    uri: str,
    mapping: ColumnMapping,
    max_errors: int = 1,
    *,
    api_key: str | None = None,
    timeout: float = 120.0,
    **unknown: Any,
) -> Iterator[Example]:
    """Stream the examples of the Phoenix dataset ``uri`` names (its newest version unless
    ``?version=`` pins one), validated and mapped as rows of a JSONL file would be.

    Checked at the call: the URI and options (:class:`UsageError`); the server is asked when
    iteration starts (errors of :class:`PhoenixAPI`; a refused example is a
    :class:`SourceError` located at ``phoenix://HOST:PORT/DATASET example ID``).
    """
    location = parse_phoenix_uri(uri)
    check_max_errors(max_errors)
    if unknown:
        raise UsageError(
            f"option(s) {', '.join(sorted(unknown))} do not apply to a Phoenix dataset"
            " (only api_key, timeout)",
            code="bad_option",
        )
    return _phoenix_stream(uri, location, mapping, max_errors, api_key, timeout)


def _phoenix_stream(
    uri: str,
    location: PhoenixLocation,
    mapping: ColumnMapping,
    max_errors: int,
    api_key: str | None,
    timeout: float,
) -> Iterator[Example]:
    name = uri.split("?", 1)[0]
    with PhoenixAPI(location.base_url, api_key, timeout) as api:
        dataset = api.dataset(location.dataset)
        version = api.version(dataset, location.version)
        body = api.rows_jsonl(dataset.id, version) if version is not None else b""
    records = (_content_only(r) for r in phoenix_rows(body, name))
    yield from examples_from_records(records, mapping, lambda n: f"{name}:{n}", max_errors)


def _content_only(record: Record) -> Record:
    if isinstance(record, SourceError):
        return record
    position, row = record
    if isinstance(row, dict):
        row = {k: v for k, v in row.items() if k not in _NOT_CONTENT}
    return position, row
