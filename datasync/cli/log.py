"""``datasync log NAME``: a dataset's versions, newest first."""

from __future__ import annotations

import argparse
import json
from typing import Any

from datasync.cli._connection import add_connection_args, connect, fail_json
from datasync.cli._tag_filters import add_tag_filter_args, tag_filter
from datasync.errors import DatasyncError


def register(subparsers: Any) -> None:
    """Add the ``log`` subcommand."""
    parser = subparsers.add_parser(
        "log",
        help="list a dataset's versions (history)",
        description="The versions of dataset NAME, newest first: counts against the parent,"
        " total, message, time and tags; then the tag changes of the dataset and its versions"
        " (time, +KEY=VALUE / -KEY). --tag and --has-tag keep only versions with those tags."
        " Exit 0, 1 error (e.g. no such dataset), 2 usage.",
    )
    parser.add_argument("name", metavar="NAME", help="a dataset name or id")
    add_tag_filter_args(parser, "versions")
    parser.add_argument(
        "--json",
        action="store_true",
        help='one JSON object: {"target", "dataset", "versions": [...]}',
    )
    add_connection_args(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the history; returns the exit code."""
    try:
        with connect(args) as client:
            target = client.target
            versions = client.datasets.list_versions(args.name, tags=tag_filter(args))
            changes = [] if args.json else client.datasets.tag_history(args.name)
    except DatasyncError as exc:
        if args.json:
            return fail_json(exc)
        raise
    if args.json:
        rows = [{"version": v.id, **v.to_wire()} for v in versions]
        out = {"target": target, "dataset": args.name, "versions": rows}
        print(json.dumps(out, ensure_ascii=False))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{args.name} in {target}: {len(versions)} version(s)")
    for column in ("version", "created", "+", "~", "-", "=", "total", "mode", "message", "tags"):
        table.add_column(column, justify="right" if len(column) == 1 else "left")
    for v in versions:
        table.add_row(
            str(v.id),
            v.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            str(v.created),
            str(v.patched),
            str(v.deleted),
            str(v.unchanged),
            str(v.total),
            v.mode,
            v.message or "",
            " ".join(f"{k}={val}" for k, val in sorted(v.tags.items())),
        )
    console = Console(width=120)
    console.print(table)
    if changes:
        console.print(f"tag changes ({len(changes)}, newest first):", highlight=False)
        for change in changes:
            what = change.kind if change.kind == "dataset" else f"{change.kind} {change.object_id}"
            when = change.changed_at.strftime("%Y-%m-%d %H:%M:%S")
            console.print(
                f"  {when}  {what:<16} tags: {change.text()}", highlight=False, markup=False
            )
    return 0
