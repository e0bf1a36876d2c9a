"""Environment settings (``DATASYNC_URL``, ``DATASYNC_API_KEY``, ``DATASYNC_STORE``).

A variable that is set but empty is a mistake, not "unset": CI systems hand an unset secret
to a job as an empty string, and treating it as unset would push to a throwaway store on the
runner and succeed. So an empty (or all-blank) value is a :class:`UsageError` naming it.
"""

from __future__ import annotations

import os

from datasync.errors import UsageError

__all__ = ["API_KEY_ENV", "STORE_ENV", "URL_ENV", "setting"]

URL_ENV = "DATASYNC_URL"
API_KEY_ENV = "DATASYNC_API_KEY"
STORE_ENV = "DATASYNC_STORE"


def setting(name: str) -> str | None:
    """The value of environment variable ``name``; ``None`` when it is not set. Raises
    :class:`UsageError` (``empty_env``) when it is set but empty."""
    value = os.environ.get(name)
    if value is None:
        return None
    if not value.strip():
        raise UsageError(
            f"{name} is set but empty (an unset CI secret or variable?): set it to a value,"
            " or unset it to use the default",
            code="empty_env",
            details={"variable": name},
        )
    return value
