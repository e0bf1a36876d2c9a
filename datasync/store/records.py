"""Frozen records the store returns; the server sends them as JSON (``to_wire``) and the
HTTP client reads them back (``from_wire``), so both backends hand callers the same values."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from datasync.errors import ValidationError
from datasync.store.ids import is_id_text
from datasync.sync.version_diff import ExampleChange

__all__ = [
    "CommitResult",
    "DatasetInfo",
    "DeletedDataset",
    "DiffPage",
    "ManifestEntry",
    "Page",
    "TagChange",
    "VersionInfo",
    "decode_cursor",
    "encode_cursor",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    """A dataset: ``head_version_id`` (its head's number) is ``None`` until its first commit."""

    id: int
    name: str
    description: str
    tags: dict[str, str]
    created_at: datetime
    head_version_id: int | None

    def to_wire(self) -> dict[str, Any]:
        return {**asdict(self), "created_at": self.created_at.isoformat()}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> DatasetInfo:
        return cls(**{**data, "created_at": datetime.fromisoformat(data["created_at"])})


@dataclass(frozen=True, slots=True)
class DeletedDataset:
    """What deleting a dataset removed: the dataset, its versions (with their examples and
    tags) and the experiments that ran on it."""

    id: int
    name: str
    versions: int
    examples: int
    experiments: int

    def to_wire(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> DeletedDataset:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One immutable version: its counts against the parent and its manifest root digest.

    ``id`` is the version's number within its dataset (1, 2, 3, ...; ``name@3``), and
    ``parent_id`` the number of the version it was committed on."""

    id: int
    dataset_id: int
    parent_id: int | None
    created_at: datetime
    message: str | None
    mode: str
    created: int
    patched: int
    deleted: int
    unchanged: int
    total: int
    root: str
    tags: dict[str, str]

    def to_wire(self) -> dict[str, Any]:
        return {**asdict(self), "created_at": self.created_at.isoformat()}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> VersionInfo:
        return cls(**{**data, "created_at": datetime.fromisoformat(data["created_at"])})


@dataclass(frozen=True, slots=True)
class CommitResult:
    """What a commit or snapshot did. ``no_op``: nothing changed, ``version_id`` is the head.
    Version ids are numbers within the dataset (1, 2, 3, ...)."""

    dataset_id: int
    dataset: str
    version_id: int | None
    base_version_id: int | None
    no_op: bool
    created: int
    patched: int
    deleted: int
    unchanged: int
    total: int

    def to_wire(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> CommitResult:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One ``(source_id, hash)`` of a version's manifest, with its leaf bucket."""

    source_id: str
    hash: str
    bucket: int


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing; pass ``next_cursor`` back to get the next (``None``: the end)."""

    items: tuple[T, ...]
    next_cursor: str | None = field(default=None)


def encode_cursor(value: str | int) -> str:
    """An opaque cursor for the last key of a page."""
    raw = f"{'i' if isinstance(value, int) else 's'}{value}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: type[T]) -> T:
    """The key in ``cursor``; raises :class:`ValidationError` (``invalid_cursor``)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if kind is int and raw[:1] == "i" and is_id_text(raw[1:]) and len(raw) <= 20:
            return int(raw[1:])  # type: ignore[return-value]
        if kind is str and raw[:1] == "s":
            return raw[1:]  # type: ignore[return-value]
    except (ValueError, UnicodeDecodeError):
        pass
    raise ValidationError(f"invalid cursor {cursor!r}", code="invalid_cursor")


@dataclass(frozen=True, slots=True)
class TagChange:
    """One recorded change of an object's tags: keys set (with their new value) and removed."""

    id: int
    kind: str
    object_id: int
    dataset_id: int | None
    changed_at: datetime
    added: dict[str, str]
    removed: tuple[str, ...]

    def text(self) -> str:
        """``+env=prod -team``: sets first (by key), then removals (by key)."""
        parts = [f"+{k}={v}" for k, v in sorted(self.added.items())]
        return " ".join(parts + [f"-{k}" for k in sorted(self.removed)])

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "object_id": self.object_id,
            "dataset_id": self.dataset_id,
            "changed_at": self.changed_at.isoformat(),
            "added": dict(self.added),
            "removed": list(self.removed),
        }

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> TagChange:
        return cls(
            data["id"],
            data["kind"],
            data["object_id"],
            data["dataset_id"],
            datetime.fromisoformat(data["changed_at"]),
            dict(data["added"]),
            tuple(data["removed"]),
        )


@dataclass(frozen=True, slots=True)
class DiffPage:
    """One page of the changes from version ``a`` to version ``b``, by source id.

    ``created``/``patched``/``deleted`` count the whole diff; they are computed for the first
    page only (``None`` on the pages a cursor asks for). ``next_cursor`` as in :class:`Page`.
    """

    a: VersionInfo
    b: VersionInfo
    items: tuple[ExampleChange, ...]
    next_cursor: str | None = None
    created: int | None = None
    patched: int | None = None
    deleted: int | None = None

    def to_wire(self) -> dict[str, Any]:
        return {
            "a": self.a.to_wire(),
            "b": self.b.to_wire(),
            "created": self.created,
            "patched": self.patched,
            "deleted": self.deleted,
            "items": [c.to_wire() for c in self.items],
            "next_cursor": self.next_cursor,
        }

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> DiffPage:
        return cls(
            VersionInfo.from_wire(data["a"]),
            VersionInfo.from_wire(data["b"]),
            tuple(ExampleChange.from_wire(c) for c in data["items"]),
            data["next_cursor"],
            data["created"],
            data["patched"],
            data["deleted"],
        )
