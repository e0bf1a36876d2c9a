"""The ``datasync`` logger: silent in a library (a NullHandler), lines on stderr in the CLI.

Loggers: ``datasync.server.access`` (one INFO line per request), ``datasync.server`` (errors
answered with 500), ``datasync.client`` (retries and re-plans, INFO). ``datasync -v`` / ``-q``
move the CLI's level by one step each; ``DATASYNC_LOG_LEVEL`` (a level name) sets it for
server processes started by an ASGI server.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

LOGGER = "datasync"
LEVEL_ENV = "DATASYNC_LOG_LEVEL"
_STEPS = (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL)


def level_for(base: int, verbose: int, quiet: int) -> int:
    """``base`` moved down ``verbose`` steps and up ``quiet`` steps (DEBUG .. CRITICAL)."""
    index = _STEPS.index(base) - verbose + quiet
    return _STEPS[max(0, min(len(_STEPS) - 1, index))]


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record is emitted (as logging's last
    resort handler does), so a replaced stderr (tests, redirections) is followed."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure(level: int | str) -> None:
    """Send the ``datasync`` logger's records at ``level`` and above to stderr, once."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level)
    if not any(isinstance(h, _Stderr) for h in logger.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
