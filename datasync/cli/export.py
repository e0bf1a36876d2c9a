"""``datasync export NAME[@V] phoenix URL``: a version into an Arize Phoenix dataset, checked.

Sends the version through Phoenix's own upsert, reads every example back and compares the
``sha256-128`` content hash of what Phoenix returns with datasync's; any difference is listed
by id and the command exits 1.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from datasync.cli._connection import add_connection_args, connect, fail_json, human_bytes
from datasync.cli.tag import parse_target, resolve_version
from datasync.client import PhoenixExport, export_to_phoenix
from datasync.errors import DatasyncError

#: Exit code of ``--dry-run --exit-code`` when the export would change the Phoenix dataset.
DRIFT = 3
#: Mismatches printed in words (``--json`` lists all).
_SHOWN = 20


def register(subparsers: Any) -> None:
    """Add the ``export`` subcommand."""
    parser = subparsers.add_parser(
        "export",
        help="export a dataset version to an Arize Phoenix dataset, checked by content hash",
        description="Create or update a Phoenix dataset (default: NAME) to hold version V of"
        " NAME (default: the head) through Phoenix's upsert, with the source ids as Phoenix"
        " example ids (a re-export of an unchanged version changes nothing), then read every"
        " example back and compare its sha256-128 content hash with datasync's. Exit 0 all"
        " equal, 1 a difference (listed by id) or an error, 2 usage; with --dry-run"
        " --exit-code, 3 when the export would change the Phoenix dataset.",
    )
    parser.add_argument("target", metavar="NAME[@V]", help="a dataset, at version V (or head)")
    parser.add_argument("kind", choices=("phoenix",), help="where to: phoenix")
    parser.add_argument("url", metavar="URL", help="Phoenix's URL, e.g. http://127.0.0.1:6006")
    parser.add_argument(
        "--phoenix-dataset", metavar="NAME", help="the Phoenix dataset (default: NAME)"
    )
    parser.add_argument(
        "--api-key",
        dest="phoenix_api_key",
        metavar="KEY",
        help="Phoenix's API key (default: $PHOENIX_API_KEY)",
    )
    parser.add_argument(
        "--mode",
        choices=["mirror", "append"],
        default="mirror",
        help="mirror: the Phoenix dataset becomes the version (its other examples are"
        " deleted); append: add and update only (default: mirror)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="say what Phoenix would receive; send nothing"
    )
    parser.add_argument(
        "--exit-code",
        action="store_true",
        help=f"with --dry-run: exit {DRIFT} when the export would change the Phoenix dataset",
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    add_connection_args(parser, api_key_flag="--server-api-key")
    parser.set_defaults(func=run, parser_error=parser.error)


def run(args: argparse.Namespace) -> int:
    """Export (or plan) and print the result; returns the exit code."""
    if args.exit_code and not args.dry_run:
        args.parser_error("--exit-code needs --dry-run")
    try:
        name, version = parse_target(args.target)
        with connect(args) as client:
            report = export_to_phoenix(
                client,
                name,
                args.url,
                version_id=resolve_version(client, name, version),
                phoenix_dataset=args.phoenix_dataset,
                api_key=args.phoenix_api_key,
                mode=args.mode,
                dry_run=args.dry_run,
            )
    except DatasyncError as exc:
        if args.json:
            return fail_json(exc)
        raise
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        _print(report)
    if args.dry_run:
        return DRIFT if args.exit_code and report.changes else 0
    return 0 if report.ok else 1


def _print(report: PhoenixExport) -> None:
    s = report.summary
    where = f"Phoenix dataset {report.phoenix_dataset!r} at {report.phoenix_url}"
    base = report.base_phoenix_version_id
    print(
        f"{report.dataset} version {report.version_id} -> {where}"
        + (f" (planned against its version {base})" if base else " (new)")
        + f" ({report.mode.value})"
    )
    print(
        f"  created {s.created}, patched {s.patched}, deleted {s.deleted}, unchanged {s.unchanged}"
    )
    if report.dry_run:
        if report.changes:
            size = human_bytes(report.upload_bytes)
            print(f"  dry run: nothing sent; Phoenix would receive {size} (the whole version)")
        else:
            print("  dry run: nothing sent; no changes, so nothing would be")
        return
    if report.phoenix_counts is not None:
        c = report.phoenix_counts
        print(
            f"  Phoenix: created {c['created']}, updated {c['updated']}, deleted {c['deleted']}"
            f" -> version {report.phoenix_version_id} ({human_bytes(report.upload_bytes)} sent)"
        )
    else:
        print(f"  no changes: nothing sent (Phoenix version {report.phoenix_version_id})")
    if report.ok:
        print(
            f"  checked {report.checked} examples read back from Phoenix: every sha256-128"
            f" content hash equals datasync's ({report.seconds:.2f} s)"
        )
        return
    print(f"  MISMATCH: {len(report.mismatches)} of {report.checked} examples differ:")
    for m in report.mismatches[:_SHOWN]:
        print(f"    {m.id}: {m.reason} (datasync {m.expected}, Phoenix {m.found})")
    if len(report.mismatches) > _SHOWN:
        print(f"    ... and {len(report.mismatches) - _SHOWN} more (--json lists all)")
