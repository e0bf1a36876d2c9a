"""Commit body lines to checked operations, with content hashes recomputed. Pure.

:func:`decode_operation_lines` is the per-line work of a commit on the server: strict JSON,
the operation's fields, the content hash v1 of its parts, and the parts as JSON text ready
to store. It is a plain function over a list of lines so that the server can run it in
worker processes, chunk by chunk, and keep the order; its results pickle (errors travel as
their fields, since a :class:`~datasync.errors.DatasyncError` does not).

Where each check happens is the same as in the in-process path: a line that is not JSON or
not an operation fails when it is reached; a content refusal or a hash that differs is
carried in the :class:`DecodedOperation` and raised by :meth:`DecodedOperation.checked_hash`
where the store checks the hash (after the ids, so that a commit with refused ids names them
all first).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from datasync.canonical import (
    ROWS_PER_CALL,
    canonical_content_parsed,
    hash_bytes,
    loads_rows_content,
    loads_strict,
)
from datasync.errors import CanonicalError, HashMismatchError, ValidationError
from datasync.sync.plan import ChangeKind
from datasync.sync.wire import MAX_SOURCE_ID_BYTES, parse_operation

__all__ = [
    "DecodedOperation",
    "LineFailure",
    "decode_operation_lines",
    "hash_mismatch",
    "json_text",
]


@dataclass(frozen=True, slots=True)
class LineFailure:
    """A line that is not a valid operation: the fields of its :class:`ValidationError`."""

    message: str
    code: str
    details: dict[str, Any]

    def error(self) -> ValidationError:
        return ValidationError(self.message, code=self.code, details=self.details)


class DecodedOperation(NamedTuple):
    """One operation of a commit body, decoded and re-hashed.

    ``hash`` is the hash the line claims; ``computed`` the content hash v1 of its parts, or
    ``None`` with ``refusal`` (a :class:`CanonicalError`'s code, path, reason, details) when
    content hash v1 refuses them. ``input``/``output``/``metadata`` are the parts as JSON
    text (``None`` for a DELETE). A named tuple: lists of them travel back from the worker
    processes about ten times faster than slotted dataclasses would (pickle).
    """

    kind: ChangeKind
    source_id: str
    hash: str | None
    input: str | None
    output: str | None
    metadata: str | None
    computed: str | None = None
    refusal: tuple[str, str, str, dict[str, Any]] | None = None

    def checked_hash(self) -> str:
        """The verified content hash; raises :class:`CanonicalError` (naming the example)
        or :class:`HashMismatchError` as the store's in-process check does."""
        if self.refusal is not None:
            code, path, reason, details = self.refusal
            raise CanonicalError(
                code,
                path,
                f"example {self.source_id!r}: {reason}",
                details={**details, "source_id": self.source_id},
            )
        assert self.computed is not None
        if self.hash is not None and self.hash != self.computed:
            raise hash_mismatch(self.source_id, self.computed, self.hash)
        return self.computed


def hash_mismatch(source_id: str, actual: str, claimed: str) -> HashMismatchError:
    """The error for a claimed content hash that differs from the recomputed one."""
    return HashMismatchError(
        f"example {source_id!r}: the server computes hash {actual}, the request says"
        f" {claimed} (content hash v1 differs between client and server)",
        details={"source_id": source_id, "expected": actual, "received": claimed},
    )


def json_text(value: Any) -> str:
    """``value`` (as the strict parser returns it) as JSON text, as the store keeps it."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # an integer beyond 64 bits (an exact double, accepted by the parser)
        return json.dumps(value, ensure_ascii=False)


def _decode(number: int, raw: bytes) -> DecodedOperation:
    try:
        obj = loads_strict(raw)
    except CanonicalError as exc:
        raise ValidationError(
            f"line {number}: {exc.message}",
            code="invalid_ndjson",
            details={"line": number, "reason": exc.code, "path": exc.path},
        ) from None
    op = parse_operation(obj, number)
    if op.kind is ChangeKind.DELETE:
        return DecodedOperation(op.kind, op.source_id, None, None, None, None)
    parts = (op.input, op.output, op.metadata)
    texts = (json_text(op.input), json_text(op.output or {}), json_text(op.metadata or {}))
    try:
        computed = hash_bytes(canonical_content_parsed(*parts))
    except CanonicalError as exc:
        refusal = (exc.code, exc.path, exc.reason, dict(exc.details))
        return DecodedOperation(op.kind, op.source_id, op.hash, *texts, refusal=refusal)
    return DecodedOperation(op.kind, op.source_id, op.hash, *texts, computed=computed)


def decode_operation_lines(
    lines: list[tuple[int, bytes]],
) -> list[DecodedOperation] | tuple[list[DecodedOperation], LineFailure]:
    """Decode ``(line number, line)`` pairs (no blank lines) in order.

    Returns the operations, or, when a line is not a valid operation, the operations before
    it and the failure (the lines after it are not decoded).
    """
    out: list[DecodedOperation] = []
    for start in range(0, len(lines), ROWS_PER_CALL):
        batch = lines[start : start + ROWS_PER_CALL]
        for (number, raw), fast in zip(batch, _decode_compact(batch), strict=True):
            if fast is not None:
                out.append(fast)
                continue
            try:
                out.append(_decode(number, raw))
            except ValidationError as exc:
                return out, LineFailure(exc.message, exc.code, dict(exc.details))
    return out


#: The start of a CREATE/PATCH line as the Python client writes it (compact, these keys in
#: this order, the parts next): ``{"op":"create","source_id":"...","hash":"<64 hex>",``.
_COMPACT = re.compile(
    rb'\{"op":"(create|patch)","source_id":("(?:[^"\\]|\\.)*"),"hash":"([0-9a-f]{64})",(?="input":)'
)
_KINDS = {b"create": ChangeKind.CREATE, b"patch": ChangeKind.PATCH}


def _decode_compact(batch: list[tuple[int, bytes]]) -> list[DecodedOperation | None]:
    """The fast path: compact CREATE/PATCH lines whose parts are exactly ``input``,
    ``output`` and ``metadata`` objects (``None`` for every other line: :func:`_decode`).

    Such a line is the row ``{"id": <source id>, "input", "output", "metadata"}`` with three
    more members, so it goes through the chunk parser of the JSONL sources
    (:func:`~datasync.canonical.loads_rows_content`): the same strict rules, and the
    canonical content bytes without a second serialization. Anything that parser does not
    return as exactly that row (a refusal, another key, a key repeated across the prefix and
    the rest, parts that are not objects), and ids that are empty, long or not ASCII, take
    :func:`_decode`, which checks and reports them.
    """
    found: list[DecodedOperation | None] = [None] * len(batch)
    matches = [(i, _COMPACT.match(raw)) for i, (_, raw) in enumerate(batch)]
    picked = [(i, m) for i, m in matches if m is not None]
    if not picked:
        return found
    rows = [b'{"id":' + m[2] + b"," + batch[i][1][m.end() :] for i, m in picked]
    for (i, m), result in zip(picked, loads_rows_content(rows, "id"), strict=True):
        if isinstance(result, CanonicalError):
            continue
        row, content = result
        source_id = row["id"]
        if content is None or type(source_id) is not str or not source_id.isascii():
            continue  # other ids (length in UTF-8 bytes, surrogates) are _decode's to judge
        if not 0 < len(source_id) <= MAX_SOURCE_ID_BYTES:
            continue
        found[i] = DecodedOperation(
            _KINDS[m[1]],
            source_id,
            m[3].decode(),
            json_text(row["input"]),
            json_text(row["output"]),
            json_text(row["metadata"]),
            computed=hash_bytes(content),
        )
    return found
