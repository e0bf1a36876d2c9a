"""The plan: which examples to CREATE, PATCH or DELETE so a remote manifest matches a local one.

Pure. A manifest is a mapping ``{source_id: content_hash}``. ``mirror`` makes the remote equal
to the local manifest; ``append`` only adds and updates and never deletes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from datasync.errors import ValidationError

__all__ = [
    "Change",
    "ChangeKind",
    "Mode",
    "Plan",
    "classify",
    "deletions",
    "parse_mode",
    "plan_changes",
]


class ChangeKind(enum.Enum):
    """What one revision does to an example."""

    CREATE = "create"
    PATCH = "patch"
    DELETE = "delete"


class Mode(enum.StrEnum):
    """How a push treats remote examples that are missing locally."""

    MIRROR = "mirror"  # the remote becomes exactly the local data: missing ids are deleted
    APPEND = "append"  # missing ids are kept: nothing is ever deleted


def parse_mode(value: Mode | str) -> Mode:
    """``value`` as a :class:`Mode`; raises :class:`ValidationError` (``invalid_mode``)."""
    try:
        return Mode(value)
    except ValueError:
        raise ValidationError(
            f"unknown mode {value!r}; choose 'mirror' or 'append'", code="invalid_mode"
        ) from None


@dataclass(frozen=True, slots=True)
class Change:
    """One planned revision; ``hash`` is the new content hash (``None`` for a DELETE)."""

    kind: ChangeKind
    source_id: str
    hash: str | None


@dataclass(frozen=True, slots=True)
class Plan:
    """The changes that turn the remote manifest into the local one, sorted by source id."""

    changes: tuple[Change, ...]
    unchanged: int

    def _count(self, kind: ChangeKind) -> int:
        return sum(1 for change in self.changes if change.kind is kind)

    @property
    def created(self) -> int:
        return self._count(ChangeKind.CREATE)

    @property
    def patched(self) -> int:
        return self._count(ChangeKind.PATCH)

    @property
    def deleted(self) -> int:
        return self._count(ChangeKind.DELETE)

    @property
    def is_empty(self) -> bool:
        """True when applying the plan would change nothing (no new version)."""
        return not self.changes

    def ids(self, kind: ChangeKind) -> list[str]:
        """The source ids of every change of ``kind``, in source id order."""
        return [change.source_id for change in self.changes if change.kind is kind]


def classify(source_id: str, new_hash: str, remote: Mapping[str, str]) -> ChangeKind | None:
    """The change one local example needs against ``remote``: CREATE, PATCH, or None (same)."""
    old = remote.get(source_id)
    if old is None:
        return ChangeKind.CREATE
    return None if old == new_hash else ChangeKind.PATCH


def deletions(
    remote: Iterable[str], seen: Mapping[str, object] | set[str], mode: Mode
) -> list[str]:
    """Remote ids absent from ``seen`` that ``mode`` deletes (none in append mode), sorted."""
    if mode is Mode.APPEND:
        return []
    return sorted(source_id for source_id in remote if source_id not in seen)


def plan_changes(
    local: Mapping[str, str], remote: Mapping[str, str], mode: Mode | str = Mode.MIRROR
) -> Plan:
    """Plan the revisions that make ``remote`` match ``local`` under ``mode``.

    Both maps are ``{source_id: content_hash}``. In ``append`` mode remote ids missing
    locally are kept (never deleted). Raises :class:`ValidationError` for an unknown mode.
    """
    mode = parse_mode(mode)
    changes: list[Change] = []
    unchanged = 0
    for source_id, new_hash in local.items():
        kind = classify(source_id, new_hash, remote)
        if kind is None:
            unchanged += 1
        else:
            changes.append(Change(kind, source_id, new_hash))
    changes.extend(Change(ChangeKind.DELETE, sid, None) for sid in deletions(remote, local, mode))
    if mode is Mode.APPEND:
        unchanged += sum(1 for source_id in remote if source_id not in local)
    changes.sort(key=lambda change: change.source_id)
    return Plan(tuple(changes), unchanged)
