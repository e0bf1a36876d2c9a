"""What changed between two versions, example by example and field by field. Pure.

An :class:`ExampleChange` is one source id whose content hash differs between version A and
version B: CREATE (only in B), DELETE (only in A) or PATCH (in both, another hash). A PATCH
carries its :class:`FieldChange` list: every JSON path under ``$.input``, ``$.output`` and
``$.metadata`` whose value differs, with the old and the new value. Objects are compared key
by key, arrays index by index (a longer array adds its tail, a shorter one removes it), and
anything else as a JSON value (``1`` equals ``1.0``; ``true`` is not ``1``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from datasync.canonical import json_path
from datasync.sync.plan import ChangeKind

__all__ = ["ExampleChange", "FieldChange", "content_of", "field_changes"]

FieldOp = Literal["add", "remove", "replace"]
_PARTS = ("input", "output", "metadata")


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One JSON path whose value differs: ``add`` (``old`` is ``None``), ``remove`` (``new``
    is ``None``) or ``replace``."""

    path: str
    op: FieldOp
    old: Any = None
    new: Any = None

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "op": self.op}
        if self.op != "add":
            out["old"] = self.old
        if self.op != "remove":
            out["new"] = self.new
        return out

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> FieldChange:
        return cls(data["path"], data["op"], data.get("old"), data.get("new"))


@dataclass(frozen=True, slots=True)
class ExampleChange:
    """One example that differs between two versions.

    ``old_hash`` / ``new_hash``: its content hash in A / in B (``None`` where it is absent).
    ``fields``: for a PATCH, what changed. ``content``: for a CREATE the example as it is in
    B, for a DELETE as it was in A (``{"input", "output", "metadata"}``); ``None`` for a PATCH.
    """

    source_id: str
    kind: ChangeKind
    old_hash: str | None
    new_hash: str | None
    fields: tuple[FieldChange, ...] = ()
    content: dict[str, Any] | None = None

    def to_wire(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id,
            "kind": self.kind.value,
            "old_hash": self.old_hash,
            "new_hash": self.new_hash,
            "fields": [f.to_wire() for f in self.fields],
            "content": self.content,
        }

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> ExampleChange:
        return cls(
            data["source_id"],
            ChangeKind(data["kind"]),
            data["old_hash"],
            data["new_hash"],
            tuple(FieldChange.from_wire(f) for f in data["fields"]),
            data["content"],
        )


def content_of(
    input: Mapping[str, Any] | None,
    output: Mapping[str, Any] | None,
    metadata: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The content object ``{"input", "output", "metadata"}`` (a missing part is ``{}``)."""
    return {
        "input": dict(input or {}),
        "output": dict(output or {}),
        "metadata": dict(metadata or {}),
    }


def field_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldChange]:
    """Every path where content ``old`` and ``new`` (``{"input", "output", "metadata"}``)
    differ, in key order (the parts first in that order)."""
    out: list[FieldChange] = []
    for part in _PARTS:
        out.extend(_walk(json_path("$", part), old.get(part, {}), new.get(part, {})))
    return out


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def _walk(path: str, old: Any, new: Any) -> Iterator[FieldChange]:
    kind = _kind(old)
    if kind != _kind(new):
        yield FieldChange(path, "replace", old, new)
    elif kind == "object":
        for key in sorted(old.keys() | new.keys()):
            child = json_path(path, key)
            if key not in new:
                yield FieldChange(child, "remove", old[key], None)
            elif key not in old:
                yield FieldChange(child, "add", None, new[key])
            else:
                yield from _walk(child, old[key], new[key])
    elif kind == "array":
        for i in range(max(len(old), len(new))):
            child = json_path(path, i)
            if i >= len(new):
                yield FieldChange(child, "remove", old[i], None)
            elif i >= len(old):
                yield FieldChange(child, "add", None, new[i])
            else:
                yield from _walk(child, old[i], new[i])
    elif old != new:
        yield FieldChange(path, "replace", old, new)
