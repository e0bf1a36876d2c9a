"""Options every store-facing command shares (``--server``, ``--api-key``, ``--store``) and
small output helpers for them."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from datasync.cli._source_args import add_source_args, max_errors, source_id_key
from datasync.client import Client, Progress
from datasync.errors import DatasyncError, UsageError

__all__ = [
    "add_connection_args",
    "add_mapping_args",
    "connect",
    "fail_json",
    "key_list",
    "progress_bar",
    "tag_pair",
]


def key_list(text: str) -> list[str]:
    return [k.strip() for k in text.split(",") if k.strip()]


def tag_pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, not {text!r}")
    return key, value


def add_connection_args(parser: argparse.ArgumentParser, api_key_flag: str = "--api-key") -> None:
    """``--server``/``--api-key`` (remote) and ``--store`` (embedded). A command whose
    ``--api-key`` is another service's (``import phoenix``) names the server's key
    ``api_key_flag`` (``--server-api-key``); it lands in ``args.api_key`` all the same."""
    group = parser.add_argument_group("where the datasets live")
    group.add_argument(
        "--server",
        metavar="URL",
        help="a datasync server (default: $DATASYNC_URL; without one, the embedded store)",
    )
    group.add_argument(
        api_key_flag,
        dest="api_key",
        metavar="KEY",
        help="the server's API key (default: $DATASYNC_API_KEY)",
    )
    group.add_argument(
        "--store",
        metavar="PATH",
        help="the embedded store: a SQLite path or postgresql:// URL (default: $DATASYNC_STORE,"
        " else ~/.local/share/datasync/store.sqlite)",
    )


def add_mapping_args(parser: argparse.ArgumentParser, dataset_help: str | None = None) -> None:
    """How a source's rows become examples (docs/sources.md). ``dataset_help``: ``--dataset``
    is optional (the command checks it) and means this."""
    parser.add_argument(
        "source",
        metavar="SOURCE",
        help="a path, -, a URI (s3://, git://…), a directory or a glob (all its files as one)",
    )
    if dataset_help is None:
        parser.add_argument(
            "--dataset", required=True, metavar="NAME", help="the dataset to update"
        )
    else:
        parser.add_argument("--dataset", metavar="NAME[@V]", help=dataset_help)
    add_source_args(parser)
    parser.add_argument("--input-keys", type=key_list, metavar="K1,K2", help="flat rows: input")
    parser.add_argument("--output-keys", type=key_list, metavar="K1,K2", help="flat rows: output")
    parser.add_argument(
        "--metadata-keys", type=key_list, metavar="K1,K2", help="flat rows: metadata"
    )
    parser.add_argument("--format", choices=["jsonl", "json", "csv", "parquet"])
    parser.add_argument("--strict", action="store_true", help="refuse keys the mapping omits")
    parser.add_argument(
        "--mode",
        choices=["mirror", "append"],
        default="mirror",
        help="mirror: the dataset becomes the source (missing ids are deleted); append: add"
        " and update only (default: mirror)",
    )
    parser.add_argument("--workers", type=int, metavar="N", help="hashing processes")


def mapping_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of ``upsert_dataset``/``diff`` from :func:`add_mapping_args`."""
    options: dict[str, Any] = {}
    if args.format:
        options["format"] = args.format
    if args.strict:
        options["strict"] = True
    if args.split_from_filename:
        options["split_from_filename"] = True
    return {
        "dataset": args.dataset,
        "examples": args.source,
        "max_errors": max_errors(args),
        "source_id_key": source_id_key(args),
        "input_keys": args.input_keys,
        "output_keys": args.output_keys,
        "metadata_keys": args.metadata_keys,
        "mode": args.mode,
        "workers": args.workers,
        "source_options": options,
    }


def connect(args: argparse.Namespace, *, create: bool = False) -> Client:
    """The :class:`Client` the options name, and (without ``--json``) a line on stderr that
    says where the data lives. Only ``create`` (push) makes an embedded store that does not
    exist; else :class:`NotFoundError` (``store_not_found``). Raises :class:`UsageError` for
    both kinds, or an empty ``DATASYNC_*`` variable."""
    if args.server and args.store:
        raise UsageError("give --server or --store, not both", code="bad_option")
    if args.store:
        client = Client(store=args.store, create=create)
    else:
        client = Client(base_url=args.server, api_key=args.api_key, create=create)
    if not getattr(args, "json", False):
        kind = "server" if client.is_remote else "store"
        verb = "created" if client.created_store else "using"
        print(f"datasync: {verb} {kind} {client.target}", file=sys.stderr)
    return client


def fail_json(exc: DatasyncError) -> int:
    """With ``--json``: the error as one JSON object on stdout (and in words on stderr)."""
    print(json.dumps({"ok": False, **exc.to_wire()}, ensure_ascii=False))
    print(f"datasync: error: {exc}", file=sys.stderr)
    return exc.exit_code


@contextmanager
def progress_bar() -> Iterator[Progress | None]:
    """A rich progress display on stderr when it is a terminal; else no callback at all."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as Bar
    from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Bar(*columns, console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, Any] = {}
        labels = {"hash": "examples hashed", "send": "examples packed for upload"}

        def update(phase: str, count: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task("", total=None)
            bar.update(tasks[phase], description=f"{count} {labels.get(phase, phase)}")

        yield update


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


Printer = Callable[[str], None]
