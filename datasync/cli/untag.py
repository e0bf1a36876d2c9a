"""``datasync untag NAME[@VERSION] KEY [KEY ...]``: remove tags of a dataset or a version."""

from __future__ import annotations

import argparse
from typing import Any

from datasync.cli._connection import add_connection_args, connect, fail_json
from datasync.cli.tag import parse_target, print_tags, resolve_version
from datasync.errors import DatasyncError


def register(subparsers: Any) -> None:
    """Add the ``untag`` subcommand."""
    parser = subparsers.add_parser(
        "untag",
        help="remove tags of a dataset or a version",
        description="Remove the tags KEY... of dataset NAME, or of version NAME@VERSION (an"
        " id, or head); a key that is not there is fine. Prints the tags left. Exit 0, 1"
        " error, 2 usage.",
    )
    parser.add_argument("target", metavar="NAME[@VERSION]", help="a dataset, or one version")
    parser.add_argument("keys", metavar="KEY", nargs="+", help="tag keys to remove")
    parser.add_argument("--json", action="store_true", help='print {"dataset","version_id","tags"}')
    add_connection_args(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Remove the keys; returns the exit code."""
    try:
        name, version = parse_target(args.target)
        with connect(args) as client:
            where = client.target
            version_id = resolve_version(client, name, version)
            tags = client.datasets.remove_tags(name, args.keys, version_id=version_id)
    except DatasyncError as exc:
        if args.json:
            return fail_json(exc)
        raise
    print_tags(args, name, version_id, tags, where)
    return 0
