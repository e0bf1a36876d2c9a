"""``datasync import phoenix URL --dataset NAME``: a Phoenix dataset becomes a datasync version.

The Phoenix dataset is read as the source ``phoenix://HOST:PORT/DATASET`` and pushed with the
same client call, guards and output as ``datasync push`` (mirror by default).
"""

from __future__ import annotations

import argparse
from typing import Any

from datasync.cli._connection import add_connection_args, fail_json
from datasync.cli.push import add_commit_args, execute
from datasync.errors import DatasyncError
from datasync.sources import phoenix_uri

#: What ``datasync import`` reads from (one kind today).
KINDS = ("phoenix",)


def register(subparsers: Any) -> None:
    """Add the ``import`` subcommand."""
    parser = subparsers.add_parser(
        "import",
        help="import an Arize Phoenix dataset as a dataset version",
        description="Read a Phoenix dataset (a version; default its newest) over Phoenix's"
        " REST API at URL and push it to dataset NAME as `datasync push` would: each example's"
        " source id is its Phoenix id (the example id given at upload, else Phoenix's node id),"
        " only changes are sent, an unchanged import makes no version. Exit 0 done, 1 error"
        " (Phoenix unreachable, wrong key, unknown dataset, an example content hash v1"
        " refuses: nothing is written), 2 usage; with --dry-run --exit-code, 3 when the"
        " import would change the dataset.",
    )
    parser.add_argument("kind", choices=KINDS, help="where from: phoenix")
    parser.add_argument("url", metavar="URL", help="Phoenix's URL, e.g. http://127.0.0.1:6006")
    parser.add_argument("--dataset", required=True, metavar="NAME", help="the dataset to update")
    parser.add_argument(
        "--phoenix-dataset",
        metavar="NAME_OR_ID",
        help="the Phoenix dataset, by name or id (default: NAME)",
    )
    parser.add_argument(
        "--version",
        metavar="V",
        help="a Phoenix version id (or its number); default: the newest",
    )
    parser.add_argument(
        "--api-key",
        dest="phoenix_api_key",
        metavar="KEY",
        help="Phoenix's (default: $PHOENIX_API_KEY)",
    )
    parser.add_argument(
        "--mode",
        choices=["mirror", "append"],
        default="mirror",
        help="mirror: the dataset becomes the Phoenix version (ids missing there are deleted);"
        " append: add and update only (default: mirror)",
    )
    add_commit_args(parser)
    add_connection_args(parser, api_key_flag="--server-api-key")
    parser.set_defaults(func=run, parser_error=parser.error)


def run(args: argparse.Namespace) -> int:
    """Import and print the result as ``push`` does; returns the exit code."""
    try:
        uri = phoenix_uri(args.url, args.phoenix_dataset or args.dataset, args.version)
    except DatasyncError as exc:
        if args.json:
            return fail_json(exc)
        raise
    options: dict[str, Any] = {}
    if args.phoenix_api_key is not None:
        options["api_key"] = args.phoenix_api_key
    kwargs = {
        "dataset": args.dataset,
        "examples": uri,
        "source_id_key": "id",
        "mode": args.mode,
        "source_options": options,
    }
    return execute(args, kwargs)
