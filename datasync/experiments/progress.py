"""The progress display of an experiment: runs done, errors, reused; evaluations scored."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Counts", "ProgressSink", "progress_display"]


@dataclass
class Counts:
    """Counters of one experiment as it runs."""

    total: int = 0
    ran: int = 0
    reused: int = 0
    errors: int = 0
    scored: int = 0
    scores_reused: int = 0
    score_errors: int = 0
    interrupted: bool = False

    @property
    def done(self) -> int:
        return self.ran + self.reused


class ProgressSink(Protocol):
    def __call__(self, counts: Counts) -> None: ...


def _text(c: Counts) -> str:
    return (
        f"done {c.done}/{c.total}  errors {c.errors}  reused {c.reused}"
        f"  scored {c.scored + c.scores_reused} (errors {c.score_errors})"
    )


@contextmanager
def progress_display(enabled: bool | None, title: str) -> Iterator[ProgressSink | None]:
    """A rich progress bar on stderr (``enabled=None``: only when stderr is a terminal)."""
    if enabled is False or (enabled is None and not sys.stderr.isatty()):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(title), BarColumn(), TextColumn("{task.description}"))
    with Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True)) as bar:
        task: Any = bar.add_task("", total=None)

        def update(counts: Counts) -> None:
            bar.update(task, total=counts.total, completed=counts.done, description=_text(counts))

        yield update
