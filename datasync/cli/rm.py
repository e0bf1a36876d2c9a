"""``datasync rm NAME``: delete a dataset with every version (asks first unless ``--yes``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from datasync.cli._connection import add_connection_args, connect, fail_json
from datasync.client import Client
from datasync.errors import DatasyncError, UsageError


def register(subparsers: Any) -> None:
    """Add the ``rm`` subcommand."""
    parser = subparsers.add_parser(
        "rm",
        help="delete a dataset with all its versions",
        description="Delete dataset NAME: every version, example revision, tag and tag change."
        " Asks for confirmation on a terminal unless --yes (without a terminal, --yes is"
        " required). A dataset that experiments ran on is refused unless --force, which"
        " deletes those experiments too. Exit 0 deleted, 1 error (no such dataset; in use),"
        " 2 usage or not confirmed.",
    )
    parser.add_argument("name", metavar="NAME", help="the dataset (name or id)")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--force", action="store_true", help="also delete the experiments that ran on it"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='print {"deleted", "dataset_id", "versions", "examples", "experiments"}',
    )
    add_connection_args(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Confirm, delete, print what was removed; returns the exit code."""
    try:
        with connect(args) as client:
            if not args.yes:
                _confirm(client, args.name, force=args.force)
            deleted = client.datasets.delete_dataset(args.name, force=args.force)
    except DatasyncError as exc:
        if args.json:
            return fail_json(exc)
        raise
    if args.json:
        out = deleted.to_wire()
        print(json.dumps({"deleted": out.pop("name"), "dataset_id": out.pop("id"), **out}))
    else:
        print(
            f"deleted dataset {deleted.name} (id {deleted.id}): {deleted.versions} version(s),"
            f" {deleted.examples} example(s) in its head, {deleted.experiments} experiment(s)"
        )
    return 0


def _confirm(client: Client, name: str, *, force: bool) -> None:
    """Ask on the terminal; UsageError when there is none or the answer is not yes."""
    if not sys.stdin.isatty():
        raise UsageError(
            f"not deleting {name!r} without confirmation: pass --yes (stdin is not a terminal)",
            code="not_confirmed",
        )
    info = client.datasets.get_dataset(name)
    versions = len(client.datasets.list_versions(info.id))
    also = " and the experiments that ran on it" if force else ""
    sys.stderr.write(
        f"delete dataset {info.name!r} (id {info.id}): {versions} version(s), {info.total}"
        f" example(s) in its head{also}? This cannot be undone. [y/N] "
    )
    sys.stderr.flush()
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise UsageError(f"not deleted: {name!r} stays", code="not_confirmed")
