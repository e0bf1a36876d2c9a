"""``datasync diff``: what a push would change (the plan), or what changed between versions.

* ``datasync diff SOURCE --dataset NAME[@V]``: the plan of SOURCE against the head (or V).
* ``datasync diff NAME@V SOURCE``: the same, against version V.
* ``datasync diff NAME@A NAME@B``: the examples created, deleted and patched from version A
  to version B, each PATCH with its changed fields (JSON path, old -> new), read from the
  store page by page and printed as they come.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any

from datasync.cli._connection import (
    add_connection_args,
    add_mapping_args,
    connect,
    fail_json,
    mapping_kwargs,
    progress_bar,
)
from datasync.errors import DatasyncError, UsageError
from datasync.sync import ChangeKind, ExampleChange, FieldChange

_SHOWN = 50
_VALUE_CHARS = 200
_MARKS = {ChangeKind.CREATE: "+", ChangeKind.PATCH: "~", ChangeKind.DELETE: "-"}
# NAME@VERSION: a dataset name (a letter first), then an id or "head".
_VERSION_REF = re.compile(r"([A-Za-z][A-Za-z0-9._-]{0,127})@(\d+|head)\Z")


def register(subparsers: Any) -> None:
    """Add the ``diff`` subcommand."""
    parser = subparsers.add_parser(
        "diff",
        help="show what a push of SOURCE would change, or what changed between two versions",
        description="`diff SOURCE --dataset NAME[@V]` (or `diff NAME@V SOURCE`) plans a push"
        " without sending anything: the ids it would create (+), patch (~) and delete (-),"
        " against the head or version V. `diff NAME@A NAME@B` shows what changed from version"
        " A to version B (an id, or head): created, deleted, and patched examples with every"
        " changed field as a JSON path, old -> new. Exit 0 (3 with --exit-code when there are"
        " changes), 1 error, 2 usage.",
    )
    add_mapping_args(parser, dataset_help="the dataset to plan against (NAME@V: against version V)")
    parser.add_argument(
        "other",
        nargs="?",
        metavar="NAME@B | SOURCE",
        help="with NAME@A first: a second version of the dataset, or a source to plan against A",
    )
    parser.add_argument("--exit-code", action="store_true", help="exit 3 when there are changes")
    parser.add_argument(
        "--json",
        action="store_true",
        help='one JSON object: summary and "create"/"patch"/"delete" id lists; for two'
        ' versions the summary and "changes" (each with its fields)',
    )
    add_connection_args(parser)
    parser.set_defaults(func=run)


def _version_ref(text: str | None) -> tuple[str, int | None] | None:
    """``NAME@V`` -> (NAME, id or None for head); ``None`` for anything else or an existing
    file of that name."""
    if text is None or os.path.exists(text):
        return None
    match = _VERSION_REF.match(text)
    if match is None:
        return None
    name, version = match.groups()
    return name, None if version == "head" else int(version)


def run(args: argparse.Namespace) -> int:
    """Print the plan or the version diff; returns the exit code."""
    first, second = _version_ref(args.source), _version_ref(args.other)
    try:
        if first is not None and second is not None:
            if args.dataset is not None:
                raise UsageError("give two versions or --dataset, not both", code="bad_option")
            return _versions(args, first, second)
        if first is not None and args.other is not None:
            if args.dataset is not None:
                raise UsageError("give NAME@V SOURCE or --dataset, not both", code="bad_option")
            args.dataset, args.source = first[0], args.other
            return _plan(args, first[1])
        if args.other is not None:
            raise UsageError(
                f"expected NAME@A NAME@B or NAME@V SOURCE, not {args.source!r} {args.other!r}",
                code="bad_target",
            )
        if args.dataset is None:
            raise UsageError(
                "name the dataset: --dataset NAME, or NAME@V SOURCE", code="bad_option"
            )
        target = _version_ref(args.dataset)
        if target is not None:
            args.dataset = target[0]
        return _plan(args, target[1] if target is not None else None)
    except DatasyncError as exc:
        if args.json:
            return fail_json(exc)
        raise


def _plan(args: argparse.Namespace, version_id: int | None) -> int:
    with connect(args) as client, progress_bar() as progress:
        diff = client.datasets.diff(
            **mapping_kwargs(args), progress=progress, version_id=version_id
        )
        target = client.target
    if args.json:
        out: dict[str, Any] = {
            "dataset": str(args.dataset),
            "target": target,
            "dataset_id": diff.dataset_id,
            "base_version_id": diff.base_version_id,
            "mode": diff.mode.value,
            "summary": diff.summary.to_dict(),
        }
        out.update({kind.value: diff.ids(kind) for kind in ChangeKind})
        print(json.dumps(out, ensure_ascii=False))
    else:
        s = diff.summary
        label = args.dataset if version_id is None else f"{args.dataset}@{version_id}"
        print(
            f"{label} at {target}: created {s.created}, patched {s.patched},"
            f" deleted {s.deleted}, unchanged {s.unchanged}"
        )
        for kind, mark in _MARKS.items():
            ids = diff.ids(kind)
            for sid in ids[:_SHOWN]:
                print(f"{mark} {sid}")
            if len(ids) > _SHOWN:
                print(f"{mark} … and {len(ids) - _SHOWN} more (see --json)")
    return 3 if args.exit_code and not diff.is_empty else 0


def _versions(
    args: argparse.Namespace, a: tuple[str, int | None], b: tuple[str, int | None]
) -> int:
    if a[0] != b[0]:
        raise UsageError(
            f"both versions must be of one dataset, not {a[0]!r} and {b[0]!r}", code="bad_target"
        )
    with connect(args) as client:
        diff = client.datasets.diff_versions(a[0], a[1], b[1])
        try:
            if args.json:
                _print_json(diff.summary.to_dict(), a[0], diff)
            else:
                _print_text(a[0], diff)
            sys.stdout.flush()
        except BrokenPipeError:  # the reader left (`| head`): not an error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    return 3 if args.exit_code and not diff.is_empty else 0


def _print_json(summary: dict[str, int], name: str, diff: Any) -> None:
    # Written as the pages arrive: a large diff is never held whole.
    head = {"dataset": name, "a": diff.a.to_wire(), "b": diff.b.to_wire(), "summary": summary}
    out = sys.stdout
    out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "changes": [')
    for n, change in enumerate(diff.changes()):
        out.write(("," if n else "") + json.dumps(change.to_wire(), ensure_ascii=False))
    out.write("]}\n")


def _print_text(name: str, diff: Any) -> None:
    s = diff.summary
    print(
        f"{name}@{diff.a.id} -> {name}@{diff.b.id}: created {s.created}, patched {s.patched},"
        f" deleted {s.deleted}, unchanged {s.unchanged}"
    )
    for change in diff.changes():
        print(f"{_MARKS[change.kind]} {change.source_id}")
        for line in _change_lines(change):
            print(f"    {line}")


def _change_lines(change: ExampleChange) -> list[str]:
    if change.kind is ChangeKind.PATCH:
        return [_field_line(f) for f in change.fields]
    return []


def _field_line(field: FieldChange) -> str:
    old = "(absent)" if field.op == "add" else _value(field.old)
    new = "(absent)" if field.op == "remove" else _value(field.new)
    return f"{field.path}: {old} -> {new}"


def _value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 1] + "…"
