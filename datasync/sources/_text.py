"""Text formats: JSONL (one JSON object per line), JSON array files, and CSV.

A UTF-8 byte-order mark at the very start of a file (as Windows tools write one) is skipped;
anywhere else it is refused (``byte_order_mark``). Every line is checked on its own: UTF-8, at
most :data:`MAX_LINE_BYTES`, parsed with :func:`datasync.canonical.loads_strict` (JSON) so that
duplicate keys, NaN/Infinity and inexact integer literals are refused with ``file:line``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from datasync.canonical import loads_rows_content, loads_strict
from datasync.errors import CanonicalError, SourceError
from datasync.sources._example import MAX_JSON_ARRAY_BYTES, MAX_LINE_BYTES
from datasync.sources._mapping import Record
from datasync.sources._problems import from_canonical

_CHUNK = 1 << 20
_BOM = b"\xef\xbb\xbf"
Reader = Callable[[int], bytes]

# The csv module refuses fields over 128 KiB by default; our limit is per line instead.
csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))


def without_bom(read: Reader) -> Reader:
    """``read`` of the same file from its start, a UTF-8 byte-order mark at the very start
    skipped (only there: a BOM further on is data, and refused where it is not allowed)."""
    first = True

    def reader(size: int) -> bytes:
        nonlocal first
        if not first:
            return read(size)
        first = False
        head = read(size)
        while head and len(head) < len(_BOM) and _BOM.startswith(head):
            more = read(size)  # a short read (a pipe): make sure the mark is whole or absent
            if not more:
                break
            head += more
        return head[len(_BOM) :] if head.startswith(_BOM) else head

    return reader


def split_lines(read: Reader, limit: int = MAX_LINE_BYTES) -> Iterator[tuple[int, bytes | None]]:
    """Yield ``(line_number, line)`` without the newline; ``line`` is None when over ``limit``.

    ``read`` reads a file from its start: a byte-order mark there is skipped. Memory stays
    within one chunk plus one line, whatever the file size.
    """
    read = without_bom(read)
    pending = bytearray()
    lineno = 1
    overlong = False
    while chunk := read(_CHUNK):
        start = 0
        while (nl := chunk.find(b"\n", start)) >= 0:
            if overlong or len(pending) + nl - start > limit:
                yield lineno, None
            elif pending:
                pending += chunk[start:nl]
                yield lineno, bytes(pending)
            else:
                yield lineno, chunk[start:nl]
            pending.clear()
            overlong = False
            lineno += 1
            start = nl + 1
        if not overlong:
            if len(pending) + len(chunk) - start > limit:
                overlong = True
                pending.clear()
            else:
                pending += chunk[start:]
    if overlong:
        yield lineno, None
    elif pending:
        yield lineno, bytes(pending)


def _too_long(location: str) -> SourceError:
    return SourceError(
        f"line longer than {MAX_LINE_BYTES} bytes (the documented limit)",
        code="line_too_long",
        location=location,
    )


def parse_jsonl_line(lineno: int, line: bytes | None, name: str) -> Record | None:
    """The record of one JSONL line (None for a blank line); a bad line gives its error."""
    if line is None:
        return _too_long(f"{name}:{lineno}")
    if not line.strip():
        return None
    try:
        return lineno, loads_strict(line)
    except CanonicalError as exc:
        return from_canonical(exc, f"{name}:{lineno}")


def parse_jsonl_contents(
    lines: Sequence[tuple[int, bytes | None]], name: str, id_key: str | None
) -> list[tuple[Any, bytes | None] | SourceError | None]:
    """Each line of a chunk as :func:`parse_jsonl_line` judges it, with content bytes.

    For each ``(line_number, line)``, in order: None for a blank line, the SourceError of a bad
    one (the same as :func:`parse_jsonl_line` gives), else ``(row, content)``, where
    ``content`` is the row's canonical content bytes when the fast path has them (see
    :func:`datasync.canonical.loads_rows_content`; ``id_key`` is the source id key of a
    mapping that takes ``input``/``output``/``metadata`` as they are, else None).
    """
    texts = [b"" if line is None else line for _, line in lines]
    results: list[Any] = loads_rows_content(texts, id_key)
    if set(map(type, results)) == {tuple}:
        return results
    for i, result in enumerate(results):
        if type(result) is not tuple:  # a CanonicalError: a bad, blank or over-long line
            lineno, line = lines[i]
            if line is None:
                results[i] = _too_long(f"{name}:{lineno}")
            elif not line.strip():
                results[i] = None
            else:
                results[i] = from_canonical(result, f"{name}:{lineno}")
    return results


def jsonl_records(read: Reader, name: str) -> Iterator[Record]:
    """Rows of a JSONL file, positioned by line number; blank lines are skipped."""
    for lineno, line in split_lines(read):
        record = parse_jsonl_line(lineno, line, name)
        if record is not None:
            yield record


def _read_all(read: Reader, name: str) -> bytes:
    parts: list[bytes] = []
    size = 0
    while chunk := read(_CHUNK):
        size += len(chunk)
        if size > MAX_JSON_ARRAY_BYTES:
            raise SourceError(
                f"JSON array file larger than {MAX_JSON_ARRAY_BYTES} bytes; use JSONL",
                code="file_too_large",
                location=name,
            )
        parts.append(chunk)
    return b"".join(parts)


def json_array_records(read: Reader, name: str) -> Iterator[Record]:
    """Elements of a JSON array file, positioned by the line where each element starts.

    The file is read whole (up to :data:`MAX_JSON_ARRAY_BYTES`); each element is parsed on
    its own with ``loads_strict`` so errors name the element's line.
    """
    raw = _read_all(read, name)
    try:
        text = loads_text(raw, name)
    except SourceError as exc:
        yield exc
        return
    scanner = json.JSONDecoder()
    pos = _skip_ws(text, 0)
    if not text.startswith("[", pos):
        yield SourceError(
            "a .json source must hold one JSON array",
            code="not_an_array",
            location=f"{name}:{text.count(chr(10), 0, pos) + 1}",
        )
        return
    pos = _skip_ws(text, pos + 1)
    if text.startswith("]", pos):
        yield from _trailing(text, pos + 1, name)
        return
    while True:
        line = text.count("\n", 0, pos) + 1
        try:
            _, end = scanner.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield SourceError(
                f"invalid JSON: {exc.msg}",
                code="invalid_json",
                location=f"{name}:{exc.lineno}:{exc.colno}",
            )
            return
        except RecursionError:
            end = -1
        try:
            yield line, loads_strict(text[pos:end] if end >= 0 else text[pos:])
        except CanonicalError as exc:
            yield from_canonical(exc, f"{name}:{line}")
            if end < 0:
                return
        pos = _skip_ws(text, end)
        if text.startswith(",", pos):
            pos = _skip_ws(text, pos + 1)
        elif text.startswith("]", pos):
            yield from _trailing(text, pos + 1, name)
            return
        else:
            line = text.count("\n", 0, pos) + 1
            yield SourceError(
                "invalid JSON: expecting ',' or ']'", code="invalid_json", location=f"{name}:{line}"
            )
            return


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _trailing(text: str, pos: int, name: str) -> Iterator[SourceError]:
    pos = _skip_ws(text, pos)
    if pos < len(text):
        line = text.count("\n", 0, pos) + 1
        yield SourceError(
            "invalid JSON: extra data after the array",
            code="invalid_json",
            location=f"{name}:{line}",
        )


def loads_text(raw: bytes, name: str) -> str:
    """``raw`` (a whole file) decoded as UTF-8, a byte-order mark at its start skipped; bad
    bytes raise SourceError at ``name:line``."""
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SourceError(
            f"invalid UTF-8 at byte {exc.start}",
            code="invalid_utf8",
            location=f"{name}:{line}",
            details={"offset": exc.start},
        ) from None


def _decoded_lines(read: Reader, name: str, state: dict[str, int]) -> Iterator[str]:
    """Physical lines as text with their newline, for csv.reader; raises SourceError."""
    for lineno, line in split_lines(read):
        state["line"] = lineno
        if line is None:
            raise _too_long(f"{name}:{lineno}")
        if line.startswith(_BOM):
            raise SourceError(
                "a UTF-8 byte-order mark is allowed only at the start of the file",
                code="byte_order_mark",
                location=f"{name}:{lineno}",
            )
        try:
            yield line.decode("utf-8") + "\n"
        except UnicodeDecodeError as exc:
            raise SourceError(
                f"invalid UTF-8 at byte {exc.start} of the line",
                code="invalid_utf8",
                location=f"{name}:{lineno}",
            ) from None


def csv_records(read: Reader, name: str) -> Iterator[Record]:
    """Rows of a CSV file (first row: column names), positioned by their first line.

    Values are strings, exactly as written (no type guessing; an empty cell is ``""``).
    Line-level problems (encoding, over-long lines, broken quoting) end the file.
    """
    state = {"line": 0}
    reader = csv.reader(_decoded_lines(read, name, state), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return
        seen: set[str] = set()
        for column in header:
            if column in seen:
                yield SourceError(
                    f"column {column!r} appears twice in the header",
                    code="duplicate_key",
                    location=f"{name}:1",
                )
                return
            seen.add(column)
        start = reader.line_num + 1
        for fields in reader:
            if not fields:
                pass  # a blank line
            elif len(fields) != len(header):
                yield SourceError(
                    f"{len(fields)} fields where the header has {len(header)}",
                    code="csv_field_count",
                    location=f"{name}:{start}",
                )
            else:
                yield start, dict(zip(header, fields, strict=True))
            start = reader.line_num + 1
    except SourceError as exc:
        yield exc
    except csv.Error as exc:
        yield SourceError(
            f"invalid CSV: {exc}", code="invalid_csv", location=f"{name}:{state['line']}"
        )
