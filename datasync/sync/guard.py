"""The mass-delete guard: how many deletes one mirror push may make. Pure.

A failed export step that leaves an empty or truncated file must not wipe a dataset. A push
declares a :class:`DeleteLimit` (``--max-delete``, ``max_delete=``, ``maxDelete``; default
50%); the client checks its plan against it before anything is sent, and the store checks
the commit against the same limit and the base version it applies to (the limit travels in
the commit header), so a re-plan after a conflict cannot slip past it.

The rule (:func:`check_deletes`), for a commit that deletes ``deletes`` of the ``before``
examples of its base and leaves ``after``:

- a commit that would leave an empty dataset (the source holds no examples) is refused with
  ``empty_source`` at any size, unless the limit allows deleting everything (``100%``, or a
  count of at least ``before``);
- a fraction applies to bases of at least :data:`MIN_GUARDED` examples: more deletes than
  ``fraction * before`` are refused with ``too_many_deletes``;
- a count is absolute: more deletes than ``count`` are refused with ``too_many_deletes``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from datasync.errors import DeleteGuardError, UsageError, ValidationError

__all__ = ["DEFAULT_DELETE_LIMIT", "MIN_GUARDED", "DeleteLimit", "check_deletes"]

#: A percentage limit applies to datasets of at least this many examples (so a two-example
#: loop that replaces one example still runs).
MIN_GUARDED = 10

_PERCENT = re.compile(r"(\d+(?:\.\d+)?)%\Z")
_COUNT = re.compile(r"\d+\Z")
_ALLOW = 'pass --max-delete 100% (Python max_delete=1.0, TypeScript maxDelete: "100%")'


@dataclass(frozen=True, slots=True)
class DeleteLimit:
    """At most ``count`` deletes, or at most ``fraction`` (0..1) of the base's examples."""

    count: int | None = None
    fraction: float | None = None

    def __post_init__(self) -> None:
        if (self.count is None) == (self.fraction is None):
            raise UsageError("a delete limit is a count or a fraction", code="bad_max_delete")

    @classmethod
    def parse(cls, value: object) -> DeleteLimit:
        """A limit from ``"50%"``, ``"100"``, an ``int`` count or a ``float`` fraction in
        0..1 (``1.0``: no limit). Raises :class:`UsageError` (``bad_max_delete``)."""
        if isinstance(value, DeleteLimit):
            return value
        if isinstance(value, str):
            text = value.strip()
            if match := _PERCENT.match(text):
                percent = float(match.group(1))
                if percent <= 100:
                    return cls(fraction=percent / 100)
            elif _COUNT.match(text):
                return cls(count=int(text))
        elif isinstance(value, bool):
            pass
        elif isinstance(value, int) and value >= 0:
            return cls(count=value)
        elif isinstance(value, float) and 0.0 <= value <= 1.0:
            return cls(fraction=value)
        raise UsageError(
            f"max delete must be a percentage ('50%'), a count (100) or a fraction in 0..1,"
            f" not {value!r}",
            code="bad_max_delete",
        )

    @classmethod
    def from_wire(cls, value: object) -> DeleteLimit:
        """A limit from a commit header's ``max_delete`` (``{"count": N}`` or
        ``{"fraction": F}``); raises :class:`ValidationError` (``bad_header``)."""
        if isinstance(value, dict) and len(value) == 1:
            ((key, number),) = value.items()
            is_number = isinstance(number, int | float) and not isinstance(number, bool)
            if key == "count" and is_number and isinstance(number, int) and number >= 0:
                return cls(count=number)
            if key == "fraction" and is_number and 0 <= number <= 1:
                return cls(fraction=float(number))
        raise ValidationError(
            'max_delete must be {"count": N} (N >= 0) or {"fraction": F} (0 <= F <= 1),'
            f" not {value!r}",
            code="bad_header",
        )

    def to_wire(self) -> dict[str, Any]:
        return {"count": self.count} if self.count is not None else {"fraction": self.fraction}

    def allows_all(self, before: int) -> bool:
        """Whether this limit lets a push delete every one of ``before`` examples."""
        if self.count is not None:
            return self.count >= before
        return self.fraction is not None and self.fraction >= 1.0

    def __str__(self) -> str:
        if self.count is not None:
            return str(self.count)
        assert self.fraction is not None
        return f"{self.fraction * 100:g}%"


DEFAULT_DELETE_LIMIT = DeleteLimit(fraction=0.5)


def check_deletes(limit: DeleteLimit, before: int, deletes: int, after: int) -> None:
    """Raise :class:`DeleteGuardError` if a commit that deletes ``deletes`` of ``before``
    examples and leaves ``after`` breaks ``limit`` (the rule in the module docstring)."""
    if deletes == 0:
        return
    details = {"deletes": deletes, "total": before, "after": after, "max_delete": str(limit)}
    if after == 0 and before > 0:
        if limit.allows_all(before):
            return
        raise DeleteGuardError(
            f"the source holds no examples: this mirror push would delete all {before}"
            f" examples of the dataset. Check the source (a failed export leaves an empty"
            f" file), or {_ALLOW} to empty the dataset",
            code="empty_source",
            details=details,
        )
    if limit.count is not None:
        over = deletes > limit.count
    else:
        assert limit.fraction is not None
        over = before >= MIN_GUARDED and deletes > limit.fraction * before
    if over:
        share = f"{deletes / before:.0%}" if before else "all"
        raise DeleteGuardError(
            f"this mirror push would delete {deletes} of {before} examples ({share}), more"
            f" than --max-delete {limit} allows. Check the source (a truncated file?), or"
            f" {_ALLOW} or a larger limit",
            code="too_many_deletes",
            details=details,
        )
