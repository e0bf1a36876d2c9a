"""``datasync mv OLD NEW``: rename a dataset; versions, tags, history and experiments follow."""

from __future__ import annotations

import argparse
import json
from typing import Any

from datasync.cli._connection import add_connection_args, connect, fail_json
from datasync.errors import DatasyncError


def register(subparsers: Any) -> None:
    """Add the ``mv`` subcommand."""
    parser = subparsers.add_parser(
        "mv",
        help="rename a dataset",
        description="Rename dataset OLD to NEW. Its id, versions, tags, tag history and"
        " experiments stay with it. Exit 0, 1 error (no such dataset; NEW exists), 2 usage.",
    )
    parser.add_argument("old", metavar="OLD", help="the dataset (name or id)")
    parser.add_argument("new", metavar="NEW", help="its new name")
    parser.add_argument(
        "--json", action="store_true", help='print {"dataset", "dataset_id", "renamed_from"}'
    )
    add_connection_args(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Rename; returns the exit code."""
    try:
        with connect(args) as client:
            dataset = client.datasets.rename_dataset(args.old, args.new)
    except DatasyncError as exc:
        if args.json:
            return fail_json(exc)
        raise
    if args.json:
        out = {"dataset": dataset.name, "dataset_id": dataset.id, "renamed_from": args.old}
        print(json.dumps(out))
    else:
        print(f"renamed {args.old} -> {dataset.name} (id {dataset.id})")
    return 0
