"""``datasync ls``: the datasets of a store."""

from __future__ import annotations

import argparse
import json
from typing import Any

from datasync.cli._connection import add_connection_args, connect, fail_json
from datasync.cli._tag_filters import add_tag_filter_args, tag_filter
from datasync.errors import DatasyncError


def register(subparsers: Any) -> None:
    """Add the ``ls`` subcommand."""
    parser = subparsers.add_parser(
        "ls",
        help="list datasets",
        description="Every dataset: id, name, head version, example count, created, tags."
        " --tag and --has-tag keep only datasets with those tags. Exit 0, 1 error, 2 usage.",
    )
    add_tag_filter_args(parser, "datasets")
    parser.add_argument(
        "--json", action="store_true", help='one JSON object: {"target", "datasets": [...]}'
    )
    add_connection_args(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the datasets; returns the exit code."""
    try:
        with connect(args) as client:
            target = client.target
            rows = []
            for info in client.datasets.list_datasets(tags=tag_filter(args)):
                count = (
                    client.datasets.get_dataset(info.id).total
                    if info.head_version_id is not None
                    else 0
                )
                rows.append({**info.to_wire(), "examples": count})
    except DatasyncError as exc:
        if args.json:
            return fail_json(exc)
        raise
    if args.json:
        print(json.dumps({"target": target, "datasets": rows}, ensure_ascii=False))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(rows)} dataset(s) in {target}")
    for column in ("id", "name", "head", "examples", "created", "tags"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["name"],
            "" if row["head_version_id"] is None else str(row["head_version_id"]),
            str(row["examples"]),
            row["created_at"][:19].replace("T", " "),
            " ".join(f"{k}={v}" for k, v in sorted(row["tags"].items())),
        )
    Console(width=120).print(table)
    return 0
