"""``datasync push SOURCE --dataset NAME``: hash locally, send only what changed."""

from __future__ import annotations

import argparse
import json
from typing import Any

from datasync.cli._connection import (
    add_connection_args,
    add_mapping_args,
    connect,
    fail_json,
    human_bytes,
    mapping_kwargs,
    progress_bar,
    tag_pair,
)
from datasync.client import ChangeSummary, Client, Transfer
from datasync.errors import DatasyncError, UsageError
from datasync.sync import DEFAULT_DELETE_LIMIT, DeleteLimit

#: Exit code of ``--dry-run --exit-code`` when the push would change the dataset.
DRIFT = 3


def register(subparsers: Any) -> None:
    """Add the ``push`` subcommand."""
    parser = subparsers.add_parser(
        "push",
        help="push a source to a dataset, sending only the changed examples",
        description="Hash every example of SOURCE locally, compare with the dataset's head and"
        " send only CREATE/PATCH/DELETE in one commit (a new version; none if nothing"
        " changed). Exit 0 done (or no changes), 1 error, 2 usage; with --dry-run"
        " --exit-code, 3 when the push would change the dataset.",
    )
    add_mapping_args(parser)
    add_commit_args(parser)
    add_connection_args(parser)
    parser.set_defaults(func=run, parser_error=parser.error)


def add_commit_args(parser: argparse.ArgumentParser) -> None:
    """The options of the version a push makes and of its output (push and import)."""
    parser.add_argument("--message", "-m", metavar="TEXT", help="the new version's message")
    parser.add_argument(
        "--tag",
        type=tag_pair,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="tag the new version (repeatable)",
    )
    parser.add_argument(
        "--dataset-tag",
        type=tag_pair,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="add or update a tag of the dataset itself (repeatable; also on a no-op push)",
    )
    parser.add_argument(
        "--max-delete",
        type=_max_delete,
        default=DEFAULT_DELETE_LIMIT,
        metavar="N|P%",
        help="refuse a mirror push that would delete more than this: a percentage of the"
        " dataset (datasets of 10+ examples) or a count (default: 50%%; 100%% allows"
        " anything). A source with no examples is refused unless it allows deleting all",
    )
    parser.add_argument(
        "--retries",
        type=_attempts,
        default=10,
        metavar="N",
        help="attempts when other pushes move the head first (re-planned each time, jittered"
        " backoff, within 120 s; default: 10)",
    )
    parser.add_argument("--dry-run", action="store_true", help="plan only; change nothing")
    parser.add_argument(
        "--exit-code",
        action="store_true",
        help=f"with --dry-run: exit {DRIFT} when the push would change the dataset",
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")


def _max_delete(text: str) -> DeleteLimit:
    try:
        return DeleteLimit.parse(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _attempts(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, not {text!r}")
    return int(text)


def run(args: argparse.Namespace) -> int:
    """Push (or plan) and print the result; returns the exit code."""
    return execute(args, mapping_kwargs(args))


def execute(args: argparse.Namespace, kwargs: dict[str, Any]) -> int:
    """Push (or plan) ``upsert_dataset(**kwargs)`` with the output options of ``args``
    (``--dry-run``, ``--exit-code``, ``--json``, ``--message``, tags, connection); also what
    ``datasync import`` runs, so an import prints and guards as a push does."""
    if args.exit_code and not args.dry_run:
        args.parser_error("--exit-code needs --dry-run")
    try:
        return _run(args, kwargs)
    except DatasyncError as exc:
        if args.json:
            return fail_json(exc)
        raise


def _run(args: argparse.Namespace, kwargs: dict[str, Any]) -> int:
    # commands that reuse this (import) may not offer the guard's options: the defaults hold
    max_delete = getattr(args, "max_delete", DEFAULT_DELETE_LIMIT)
    with connect(args, create=not args.dry_run) as client, progress_bar() as progress:
        if args.dry_run:
            diff = client.datasets.diff(**kwargs, progress=progress, max_delete=max_delete)
            report = _report(
                diff.dataset_id,
                str(args.dataset),
                diff.base_version_id,
                diff.base_version_id,
                diff.is_empty,
                diff.summary,
                diff.transfer,
            )
            _where(report, client)
            report["dry_run"] = True
            if diff.guard is not None:
                report["guard"] = diff.guard.to_wire()["error"]
            _print(args, report, remote=client.is_remote)
            if diff.guard is not None:
                return diff.guard.exit_code
            return DRIFT if args.exit_code and not diff.is_empty else 0
        dataset = client.datasets.upsert_dataset(
            **kwargs,
            message=args.message,
            tags=dict(args.tag),
            dataset_tags=dict(args.dataset_tag),
            progress=progress,
            max_delete=max_delete,
            retries=getattr(args, "retries", 10),
        )
        report = _report(
            dataset.id,
            dataset.name,
            dataset.version_id,
            dataset.base_version_id,
            dataset.no_op,
            dataset.summary,
            dataset.transfer,
        )
        _where(report, client)
        _print(args, report, remote=client.is_remote)
        return 0


def _where(report: dict[str, Any], client: Client) -> None:
    report["target"] = client.target
    report["store_created"] = client.created_store


def _report(
    dataset_id: int | None,
    name: str,
    version_id: int | None,
    base: int | None,
    no_op: bool,
    summary: ChangeSummary,
    transfer: Transfer,
) -> dict[str, Any]:
    return {
        "dataset": name,
        "dataset_id": dataset_id,
        "version": version_id,  # the version's number within the dataset (1, 2, 3, ...)
        "version_id": version_id,
        "base_version_id": base,
        "no_op": no_op,
        "summary": summary.to_dict(),
        "bytes_sent": transfer.bytes_sent,
        "bytes_received": transfer.bytes_received,
        "seconds": round(transfer.seconds, 3),
    }


def _print(args: argparse.Namespace, report: dict[str, Any], *, remote: bool) -> None:
    if args.json:
        print(json.dumps(report))
        return
    s = report["summary"]
    base = report["base_version_id"]
    print(
        f"{report['dataset']} at {report['target']}: planned against "
        + (f"version {base}" if base is not None else "an empty dataset")
        + f" ({args.mode})"
    )
    print(
        f"  created {s['created']}, patched {s['patched']}, deleted {s['deleted']},"
        f" unchanged {s['unchanged']}"
    )
    if report.get("dry_run"):
        print(
            "  dry run: nothing sent" + ("" if report["no_op"] else " (the push would change it)")
        )
        if "guard" in report:
            guard = report["guard"]
            print(f"  the push would stop here: [{guard['code']}] {guard['message']}")
    elif report["no_op"]:
        print("  no changes: no new version" + (f" (head {base})" if base is not None else ""))
    else:
        print(f"  -> version {report['version_id']}")
    wire = (
        f"sent {human_bytes(report['bytes_sent'])}, received"
        f" {human_bytes(report['bytes_received'])}"
        if remote
        else "embedded store (nothing on the wire)"
    )
    print(f"  {wire} in {report['seconds']:.2f} s")
