"""``--tag KEY=VALUE`` and ``--has-tag KEY`` options of listing commands (ls, log)."""

from __future__ import annotations

import argparse

from datasync.cli._connection import tag_pair

__all__ = ["add_tag_filter_args", "tag_filter"]


def add_tag_filter_args(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--tag`` and ``--has-tag`` (both repeatable; all must hold)."""
    parser.add_argument(
        "--tag",
        type=tag_pair,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"only {what} tagged KEY=VALUE (repeatable: all must hold)",
    )
    parser.add_argument(
        "--has-tag",
        action="append",
        default=[],
        metavar="KEY",
        help=f"only {what} having the tag KEY, whatever its value (repeatable)",
    )


def tag_filter(args: argparse.Namespace) -> dict[str, str | None]:
    """The filter the options ask for (``None`` values: has the key)."""
    wanted: dict[str, str | None] = {key: None for key in args.has_tag}
    wanted.update(dict(args.tag))
    return wanted
