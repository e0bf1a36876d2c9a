"""Commit and snapshot records and their NDJSON wire form (sync protocol v1). Pure.

A commit body is NDJSON: the first line a :class:`CommitHeader` object, then one
:class:`Operation` per line. A snapshot body is the same header followed by one
:class:`ExampleData` per line. docs/protocol.md documents every field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from datasync.canonical import loads_strict
from datasync.errors import ValidationError
from datasync.sync.guard import DeleteLimit
from datasync.sync.plan import ChangeKind, Mode, parse_mode
from datasync.sync.tags import validate_tags

__all__ = [
    "EXAMPLE_KEYS",
    "MAX_SOURCE_ID_BYTES",
    "CommitHeader",
    "EncodedOperation",
    "ExampleData",
    "Operation",
    "parse_example",
    "parse_header",
    "parse_operation",
    "validate_source_id",
]

MAX_SOURCE_ID_BYTES = 1024
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_BODY_KEYS = ("input", "output", "metadata")


#: The keys of an example read as a mapping, in order (``id`` is the source id).
EXAMPLE_KEYS = ("id", "input", "output", "metadata")


@dataclass(frozen=True, slots=True)
class ExampleData(Mapping[str, Any]):
    """One example's identity and content; ``hash`` is its content hash v1 when known.

    Also a read-only mapping with the keys of a row as users write it: ``example["input"]``,
    ``example.get("metadata")``, ``"output" in example``, ``dict(example)`` ->
    ``{"id", "input", "output", "metadata"}`` (``id`` is ``source_id``; ``hash`` stays an
    attribute only).
    """

    source_id: str
    input: dict[str, Any]
    output: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    hash: str | None = None

    def __getitem__(self, key: str) -> Any:
        if key == "id":
            return self.source_id
        if key in _BODY_KEYS:
            return getattr(self, key)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(EXAMPLE_KEYS)

    def __len__(self) -> int:
        return len(EXAMPLE_KEYS)

    def __contains__(self, key: object) -> bool:
        return key in EXAMPLE_KEYS

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source_id": self.source_id, "input": self.input}
        out["output"] = self.output
        out["metadata"] = self.metadata
        if self.hash is not None:
            out["hash"] = self.hash
        return out


@dataclass(frozen=True, slots=True)
class Operation:
    """One revision sent in a commit. CREATE and PATCH carry the content and its hash."""

    kind: ChangeKind
    source_id: str
    hash: str | None = None
    input: dict[str, Any] | None = None
    output: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.kind.value, "source_id": self.source_id}
        if self.kind is not ChangeKind.DELETE:
            out.update(hash=self.hash, input=self.input)
            out["output"] = self.output or {}
            out["metadata"] = self.metadata or {}
        return out


@dataclass(frozen=True, slots=True)
class EncodedOperation:
    """A CREATE or PATCH whose parts come as their canonical content bytes (RFC 8785
    ``{"input":...,"metadata":...,"output":...}``, what content hash v1 hashes), so its
    wire line is written without building and serializing the parts again."""

    kind: ChangeKind
    source_id: str
    hash: str
    content: bytes

    def wire_line(self) -> bytes:
        """The operation's NDJSON line (the same object as :meth:`Operation.to_wire`)."""
        if not self.content.startswith(b'{"input":'):
            raise ValueError("content must be canonical content bytes starting with input")
        return b"".join(
            (
                b'{"op":"',
                self.kind.value.encode(),
                b'","source_id":',
                orjson.dumps(self.source_id),
                b',"hash":"',
                self.hash.encode(),
                b'",',
                self.content[1:],
            )
        )

    def operation(self) -> Operation:
        """The same operation with its parts parsed (strictly) from the content bytes."""
        parts = loads_strict(self.content)
        return Operation(
            self.kind, self.source_id, self.hash, parts["input"], parts["output"], parts["metadata"]
        )


@dataclass(frozen=True, slots=True)
class CommitHeader:
    """The first line of a commit or snapshot body."""

    base_version_id: int | None = None
    mode: Mode = Mode.MIRROR
    idempotency_key: str | None = None
    message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    #: The mass-delete guard the store checks against the base (``None``: no limit).
    max_delete: DeleteLimit | None = None

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "base_version_id": self.base_version_id,
            "mode": self.mode.value,
            "idempotency_key": self.idempotency_key,
            "message": self.message,
            "tags": dict(self.tags),
        }
        if self.max_delete is not None:
            out["max_delete"] = self.max_delete.to_wire()
        return out


def _where(line: int | None) -> str:
    return f"line {line}: " if line is not None else ""


def _invalid(message: str, line: int | None, code: str, **details: Any) -> ValidationError:
    if line is not None:
        details["line"] = line
    return ValidationError(_where(line) + message, code=code, details=details)


def validate_source_id(value: object, line: int | None = None) -> str:
    """``value`` if it is a usable source id (a non-empty string of at most 1024 UTF-8 bytes)."""
    if not isinstance(value, str) or not value:
        raise _invalid("source_id must be a non-empty string", line, "invalid_source_id")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise _invalid("source_id holds a lone surrogate", line, "invalid_source_id") from None
    if size > MAX_SOURCE_ID_BYTES:
        raise _invalid(
            f"source_id is {size} bytes; the limit is {MAX_SOURCE_ID_BYTES}",
            line,
            "invalid_source_id",
        )
    return value


def _object(obj: Mapping[str, Any], key: str, line: int | None, source_id: str) -> dict[str, Any]:
    value = obj.get(key, {})
    if not isinstance(value, dict):
        raise _invalid(
            f"{key} of {source_id!r} must be a JSON object",
            line,
            "bad_operation",
            source_id=source_id,
        )
    return value


def _check_keys(obj: Mapping[str, Any], allowed: set[str], line: int | None, what: str) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise _invalid(f"unknown {what} field(s) {unknown}", line, "unknown_field", fields=unknown)


def parse_operation(obj: object, line: int | None = None) -> Operation:
    """An :class:`Operation` from its wire object; :class:`ValidationError` names the line."""
    if not isinstance(obj, dict):
        raise _invalid("an operation must be a JSON object", line, "bad_operation")
    try:
        kind = ChangeKind(obj.get("op"))
    except ValueError:
        raise _invalid(
            f"op must be 'create', 'patch' or 'delete', not {obj.get('op')!r}",
            line,
            "bad_operation",
        ) from None
    source_id = validate_source_id(obj.get("source_id"), line)
    if kind is ChangeKind.DELETE:
        _check_keys(obj, {"op", "source_id"}, line, "delete")
        return Operation(kind, source_id)
    _check_keys(obj, {"op", "source_id", "hash", *_BODY_KEYS}, line, "operation")
    content_hash = obj.get("hash")
    if not isinstance(content_hash, str) or not _HEX64.match(content_hash):
        raise _invalid(
            f"{kind.value} of {source_id!r} needs its content hash (64 lowercase hex)",
            line,
            "bad_operation",
            source_id=source_id,
        )
    if "input" not in obj:
        raise _invalid(f"{kind.value} of {source_id!r} has no input", line, "bad_operation")
    body = {key: _object(obj, key, line, source_id) for key in _BODY_KEYS}
    return Operation(kind, source_id, content_hash, body["input"], body["output"], body["metadata"])


def parse_example(obj: object, line: int | None = None) -> ExampleData:
    """An :class:`ExampleData` from a snapshot line (``hash`` optional, checked if present)."""
    if not isinstance(obj, dict):
        raise _invalid("an example must be a JSON object", line, "bad_example")
    _check_keys(obj, {"source_id", "hash", *_BODY_KEYS}, line, "example")
    source_id = validate_source_id(obj.get("source_id"), line)
    if "input" not in obj:
        raise _invalid(f"example {source_id!r} has no input", line, "bad_example")
    content_hash = obj.get("hash")
    if content_hash is not None and not (
        isinstance(content_hash, str) and _HEX64.match(content_hash)
    ):
        raise _invalid(f"hash of {source_id!r} is not 64 lowercase hex", line, "bad_example")
    body = {key: _object(obj, key, line, source_id) for key in _BODY_KEYS}
    return ExampleData(source_id, body["input"], body["output"], body["metadata"], content_hash)


def parse_header(obj: object, line: int | None = 1) -> CommitHeader:
    """A :class:`CommitHeader` from the first body line; raises :class:`ValidationError`."""
    if not isinstance(obj, dict):
        raise _invalid("the first line must be a header object", line, "bad_header")
    _check_keys(
        obj,
        {"base_version_id", "mode", "idempotency_key", "message", "tags", "max_delete"},
        line,
        "header",
    )
    base = obj.get("base_version_id")
    if base is not None and (not isinstance(base, int) or isinstance(base, bool)):
        raise _invalid("base_version_id must be an integer or null", line, "bad_header")
    key = obj.get("idempotency_key")
    if key is not None and (not isinstance(key, str) or not 0 < len(key) <= 200):
        raise _invalid("idempotency_key must be a string of 1..200 chars", line, "bad_header")
    message = obj.get("message")
    if message is not None and not isinstance(message, str):
        raise _invalid("message must be a string or null", line, "bad_header")
    tags = obj.get("tags") or {}
    limit = obj.get("max_delete")
    return CommitHeader(
        base,
        parse_mode(obj.get("mode", "mirror")),
        key,
        message,
        validate_tags(tags),
        DeleteLimit.from_wire(limit) if limit is not None else None,
    )
