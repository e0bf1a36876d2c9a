"""How sources report bad data: SourceError values, collected up to ``max_errors``."""

from __future__ import annotations

from typing import Any, Final

from datasync.errors import CanonicalError, SourceError, UsageError

#: How many duplicate ids (and locations per id) an error message spells out; details hold all.
_SHOWN = 20


def from_canonical(exc: CanonicalError, location: str) -> SourceError:
    """``exc`` (a value refused by content hash v1) as a SourceError at ``location``."""
    details: dict[str, Any] = {"path": exc.path}
    if exc.code == "invalid_json":
        # loads_strict's line/column are inside one line of JSONL: keep the column only.
        column = exc.details.get("column")
        if isinstance(column, int):
            location = f"{location}:{column}"
        reason = exc.reason.split(" (line ")[0]
        return SourceError(f"invalid JSON: {reason}", code=exc.code, location=location)
    return SourceError(exc.message, code=exc.code, location=location, details=details)


#: How binary Arrow values are read: refused (None) or as base64 text.
BINARY_MODES: Final = (None, "base64")


def check_binary_mode(binary: str | None) -> str | None:
    """``binary`` if it is a known mode (None or ``"base64"``), else UsageError."""
    if binary not in BINARY_MODES:
        raise UsageError(f"binary must be None or 'base64', not {binary!r}", code="bad_option")
    return binary


def check_max_errors(max_errors: int) -> int:
    """``max_errors`` as given, or a UsageError when it is negative (0 means no limit)."""
    if isinstance(max_errors, bool) or not isinstance(max_errors, int) or max_errors < 0:
        raise UsageError(
            f"max_errors must be a whole number >= 0 (0: no limit), not {max_errors!r}",
            code="bad_option",
        )
    return max_errors


class ErrorCollector:
    """Gathers SourceErrors; raises once ``max_errors`` are held (0: no limit) or at the end."""

    def __init__(self, max_errors: int) -> None:
        self.max_errors = check_max_errors(max_errors)
        self.errors: list[SourceError] = []

    def add(self, error: SourceError) -> None:
        """Record ``error``; raise the collected errors when the limit is reached."""
        self.errors.append(error)
        if self.max_errors and len(self.errors) >= self.max_errors:
            raise self.combined(stopped=True)

    def finish(self) -> None:
        """Raise the collected errors, if any (call at the end of the source)."""
        if self.errors:
            raise self.combined(stopped=False)

    def combined(self, *, stopped: bool) -> SourceError:
        """One error for all: the first one itself, or a SourceError listing every one.

        The combined error keeps the first error's ``code`` and ``location``;
        ``details["errors"]`` lists each as ``{code, location, message}``.
        """
        if len(self.errors) == 1:
            return self.errors[0]
        first = self.errors[0]
        more = " (stopped there: max_errors reached)" if stopped else ""
        lines = [f"{len(self.errors)} errors{more}:"] + [f"  {e.message}" for e in self.errors]
        error = SourceError(
            "\n".join(lines),
            code=first.code,
            details={
                "errors": [
                    {"code": e.code, "location": e.location, "message": e.message}
                    for e in self.errors
                ],
                "stopped": stopped,
            },
        )
        error.location = first.location
        error.details["location"] = first.location
        return error


def duplicate_error(listed: dict[str, list[str]], what: str = "source id") -> SourceError:
    """The error listing every duplicated id with all its locations."""
    parts = [
        f"{sid!r} at {', '.join(locs[:_SHOWN])}" for sid, locs in list(listed.items())[:_SHOWN]
    ]
    extra = f" and {len(listed) - _SHOWN} more" if len(listed) > _SHOWN else ""
    first_locations = next(iter(listed.values()))
    error = SourceError(
        f"{len(listed)} duplicate {what}(s): {'; '.join(parts)}{extra}",
        code="duplicate_source_id",
        details={"duplicates": listed},
    )
    error.location = first_locations[1]
    error.details["location"] = first_locations[1]
    return error
