"""Source options that ``hash``, ``push`` and ``diff`` share, so the three read a file alike:
the id (``--source-id-key id`` by default, ``--no-source-id``), ``--max-errors`` (default
``$DATASYNC_MAX_ERRORS``, else 1) and ``--split-from-filename``."""

from __future__ import annotations

import argparse
import os

from datasync.errors import UsageError

#: The environment variable that gives ``--max-errors`` its default (for CI).
MAX_ERRORS_ENV = "DATASYNC_MAX_ERRORS"


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def add_source_args(parser: argparse.ArgumentParser) -> None:
    """``--source-id-key``/``--no-source-id``, ``--max-errors N``, ``--split-from-filename``."""
    ids = parser.add_mutually_exclusive_group()
    ids.add_argument(
        "--source-id-key",
        default="id",
        metavar="KEY",
        help="key (or dotted path) of each example's id (default: id)",
    )
    ids.add_argument(
        "--no-source-id",
        action="store_true",
        help="the examples have no id: identity is the content hash (no PATCH, only CREATE/DELETE)",
    )
    parser.add_argument(
        "--max-errors",
        type=_count,
        metavar="N",
        help="collect up to N bad examples, listing each with its location, before stopping"
        f" (0: all; default ${MAX_ERRORS_ENV}, else 1); nothing is sent",
    )
    parser.add_argument(
        "--split-from-filename",
        action="store_true",
        help="set each example's metadata.split to its file's name without extensions"
        " (train.jsonl -> train); for directories and globs",
    )


def source_id_key(args: argparse.Namespace) -> str | None:
    """The id key the options name (None: identity is the content hash)."""
    return None if args.no_source_id else str(args.source_id_key)


def max_errors(args: argparse.Namespace) -> int:
    """``--max-errors``, else ``$DATASYNC_MAX_ERRORS``, else 1. UsageError for a bad variable."""
    if args.max_errors is not None:
        return int(args.max_errors)
    text = os.environ.get(MAX_ERRORS_ENV, "").strip()
    if not text:
        return 1
    try:
        return _count(text)
    except argparse.ArgumentTypeError:
        raise UsageError(
            f"${MAX_ERRORS_ENV} must be a whole number >= 0 (0: all errors), not {text!r}",
            code="bad_option",
        ) from None
