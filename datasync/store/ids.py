"""Numeric ids as text: ASCII digits only, within the range both databases store.

``str.isdigit`` is true for ``"³"`` and ``"٣"``, which ``int`` then refuses or reads as a
number nobody typed; an id beyond 64 bits overflows SQLite's INTEGER and PostgreSQL's BIGINT.
Every id that comes from text (a URL path, a query, a cursor) goes through here.
"""

from __future__ import annotations

from typing import Final

from datasync.errors import ValidationError

__all__ = ["MAX_ID", "checked_id", "is_id_text"]

#: The largest id a row can have: SQLite INTEGER and PostgreSQL BIGINT are signed 64-bit.
MAX_ID: Final = 2**63 - 1


def is_id_text(text: str) -> bool:
    """Whether ``text`` is written as an id: one or more ASCII digits, nothing else."""
    return text.isascii() and text.isdigit()


def checked_id(value: int | str, what: str = "id") -> int:
    """``value`` as an id (an int, or ASCII digits); raises :class:`ValidationError`
    (``invalid_id``) for anything else or a number outside ``0..MAX_ID``."""
    if isinstance(value, str):
        if not is_id_text(value):
            raise ValidationError(
                f"{what} must be written in ASCII digits, not {value[:40]!r}", code="invalid_id"
            )
        number = int(value) if len(value) <= 20 else MAX_ID + 1
    else:
        number = value
    if not 0 <= number <= MAX_ID:
        raise ValidationError(
            f"{what} {str(value)[:40]} is out of range (0 to {MAX_ID})",
            code="invalid_id",
            details={"max": MAX_ID},
        )
    return number
