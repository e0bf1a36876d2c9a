"""``datasync tag NAME[@VERSION] [KEY=VALUE ...]``: show, add/update or replace tags.

``NAME`` tags the dataset; ``NAME@VERSION`` (a version number within NAME, or ``head``) tags
that version.
Without pairs it prints the current tags; ``--replace`` makes the map exactly the pairs given.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from datasync.cli._connection import add_connection_args, connect, fail_json, tag_pair
from datasync.client import Client
from datasync.errors import DatasyncError, UsageError

__all__ = ["parse_target", "print_tags", "register", "resolve_version"]


def register(subparsers: Any) -> None:
    """Add the ``tag`` subcommand."""
    parser = subparsers.add_parser(
        "tag",
        help="show, add or replace tags of a dataset or a version",
        description="Tag dataset NAME, or version NAME@VERSION (its number: 1, 2, 3, ..., or"
        " head), with KEY=VALUE pairs (added, or updated when the key exists). Without pairs:"
        " print the tags. Limits: docs/tags.md. Exit 0, 1 error (e.g. a tag over a limit),"
        " 2 usage.",
    )
    parser.add_argument("target", metavar="NAME[@VERSION]", help="a dataset, or one version")
    parser.add_argument("pairs", metavar="KEY=VALUE", nargs="*", type=tag_pair, help="tags to set")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="make the tags exactly the pairs given (idempotent; no pairs: remove every tag)",
    )
    parser.add_argument("--json", action="store_true", help='print {"dataset","version_id","tags"}')
    add_connection_args(parser)
    parser.set_defaults(func=run)


def parse_target(text: str) -> tuple[str, str | None]:
    """``NAME`` -> (NAME, None); ``NAME@VERSION`` -> (NAME, VERSION). Raises
    :class:`UsageError` for an empty part."""
    name, sep, version = text.partition("@")
    if not name or (sep and not version):
        raise UsageError(f"expected NAME or NAME@VERSION, not {text!r}", code="bad_target")
    return name, version if sep else None


def resolve_version(client: Client, name: str, version: str | None) -> int | None:
    """The version number ``version`` names (``head``: the head; ``None``: the dataset)."""
    if version is None:
        return None
    if version == "head":
        head = client.datasets.get_dataset(name).version_id
        if head is None:
            raise UsageError(f"dataset {name!r} has no versions yet", code="no_versions")
        return head
    if not version.isdigit():
        raise UsageError(
            f"VERSION must be a version number or head, not {version!r}", code="bad_target"
        )
    return int(version)


def print_tags(
    args: argparse.Namespace,
    name: str,
    version_id: int | None,
    tags: dict[str, str],
    target: str,
) -> None:
    """One JSON object with ``--json``, else ``NAME[@V]: k=v k=v``."""
    if args.json:
        out = {"target": target, "dataset": name, "version_id": version_id, "tags": tags}
        print(json.dumps(out))
        return
    where = name if version_id is None else f"{name}@{version_id}"
    shown = " ".join(f"{k}={v}" for k, v in sorted(tags.items()))
    print(f"{where}: {shown or '(no tags)'}")


def run(args: argparse.Namespace) -> int:
    """Change or show the tags; returns the exit code."""
    try:
        name, version = parse_target(args.target)
        pairs = dict(args.pairs)
        with connect(args) as client:
            target = client.target
            version_id = resolve_version(client, name, version)
            api = client.datasets
            if args.replace:
                tags = api.replace_tags(name, pairs, version_id=version_id)
            elif pairs:
                tags = api.add_tags(name, pairs, version_id=version_id)
            else:
                tags = api.get_tags(name, version_id=version_id)
    except DatasyncError as exc:
        if args.json:
            return fail_json(exc)
        raise
    print_tags(args, name, version_id, tags, target)
    return 0
