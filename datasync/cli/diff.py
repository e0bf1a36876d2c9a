"""``datasync diff SOURCE --dataset NAME``: what a push would change (the plan), nothing sent."""

from __future__ import annotations

import argparse
import json
from typing import Any

from datasync.cli._connection import (
    add_connection_args,
    add_mapping_args,
    connect,
    fail_json,
    mapping_kwargs,
    progress_bar,
)
from datasync.errors import DatasyncError
from datasync.sync import ChangeKind

_SHOWN = 50
_MARKS = {ChangeKind.CREATE: "+", ChangeKind.PATCH: "~", ChangeKind.DELETE: "-"}


def register(subparsers: Any) -> None:
    """Add the ``diff`` subcommand."""
    parser = subparsers.add_parser(
        "diff",
        help="show what a push of SOURCE would change",
        description="Plan a push without sending anything: the ids a push would create (+),"
        " patch (~) and delete (-). Exit 0 (3 with --exit-code when there are changes),"
        " 1 error, 2 usage.",
    )
    add_mapping_args(parser)
    parser.add_argument(
        "--exit-code", action="store_true", help="exit 3 when the push would change the dataset"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='one JSON object: summary and "create"/"patch"/"delete" id lists',
    )
    add_connection_args(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the plan; returns the exit code."""
    try:
        with connect(args) as client, progress_bar() as progress:
            diff = client.datasets.diff(**mapping_kwargs(args), progress=progress)
    except DatasyncError as exc:
        if args.json:
            return fail_json(exc)
        raise
    if args.json:
        out: dict[str, Any] = {
            "dataset": str(args.dataset),
            "dataset_id": diff.dataset_id,
            "base_version_id": diff.base_version_id,
            "mode": diff.mode.value,
            "summary": diff.summary.to_dict(),
        }
        out.update({kind.value: diff.ids(kind) for kind in ChangeKind})
        print(json.dumps(out, ensure_ascii=False))
    else:
        s = diff.summary
        print(
            f"{args.dataset}: created {s.created}, patched {s.patched}, deleted {s.deleted},"
            f" unchanged {s.unchanged}"
        )
        for kind, mark in _MARKS.items():
            ids = diff.ids(kind)
            for sid in ids[:_SHOWN]:
                print(f"{mark} {sid}")
            if len(ids) > _SHOWN:
                print(f"{mark} … and {len(ids) - _SHOWN} more (see --json)")
    return 3 if args.exit_code and not diff.is_empty else 0
