"""``datasync hash SOURCE``: print each example's source id and content hash as JSON lines."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

from datasync.canonical import SCHEMES
from datasync.cli._source_args import add_source_args, max_errors, source_id_key
from datasync.errors import DatasyncError, SourceError
from datasync.sources import FORMATS, HashedExample, hash_source


def _key_list(text: str) -> list[str]:
    return [k.strip() for k in text.split(",") if k.strip()]


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def register(subparsers: Any) -> None:
    """Add the ``hash`` subcommand."""
    parser = subparsers.add_parser(
        "hash",
        help="print the source id and content hash of each example in a source",
        description="Read SOURCE (a path, -, file://, memory://, s3://, gs://, http(s):// or "
        "git://REPO@REV:PATH, or a Phoenix dataset phoenix://HOST:PORT/DATASET) and print one"
        '  JSON line {"source_id", "hash"} per example on '
        "stdout, then a summary on stderr. Exit 0 ok, 1 bad data, 2 usage.",
    )
    parser.add_argument("source", metavar="SOURCE")
    add_source_args(parser)
    parser.add_argument(
        "--input-keys",
        type=_key_list,
        metavar="K1,K2",
        help="split flat rows: these keys form the input",
    )
    parser.add_argument(
        "--output-keys", type=_key_list, metavar="K1,K2", help="these keys form the output"
    )
    parser.add_argument(
        "--metadata-keys",
        type=_key_list,
        metavar="K1,K2",
        help="these keys form the metadata (other keys join it too)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="refuse keys that the mapping does not name"
    )
    parser.add_argument("--scheme", choices=SCHEMES, default="blake3")
    parser.add_argument("--format", choices=FORMATS, help="override the format from the name")
    parser.add_argument(
        "--binary",
        choices=["base64"],
        help="read Arrow binary columns as base64 text (refused otherwise)",
    )
    parser.add_argument(
        "--workers",
        type=_positive,
        metavar="N",
        help="hashing processes (default: all cores for large inputs)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)


def _with_progress(hashed: Iterable[HashedExample]) -> Iterator[HashedExample]:
    """A rich progress counter on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield from hashed
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.completed} examples hashed"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("hash", total=None)
        for n, item in enumerate(hashed, 1):
            if n % 1000 == 0:
                progress.update(task, completed=n)
            yield item


def run(args: argparse.Namespace) -> int:
    """Hash every example of ``args.source``; 0 ok, 1 bad data (errors on stderr)."""
    started = time.perf_counter()
    count = 0
    error: DatasyncError | None = None
    hashed = hash_source(
        args.source,
        scheme=args.scheme,
        workers=args.workers,
        source_id_key=source_id_key(args),
        input_keys=args.input_keys,
        output_keys=args.output_keys,
        metadata_keys=args.metadata_keys,
        format=args.format,
        strict=args.strict,
        max_errors=max_errors(args),
        binary=args.binary,
        split_from_filename=args.split_from_filename,
    )
    out = sys.stdout
    try:
        for item in _with_progress(hashed):
            out.write(json.dumps({"source_id": item.source_id, "hash": item.hash}) + "\n")
            count += 1
    except SourceError as exc:
        error = exc
    out.flush()
    seconds = time.perf_counter() - started
    _summary(args, count, seconds, error)
    return 1 if error else 0


def _summary(
    args: argparse.Namespace, count: int, seconds: float, error: DatasyncError | None
) -> None:
    duplicates = 0
    if error is not None and error.code == "duplicate_source_id":
        duplicates = len(error.details.get("duplicates", {}))
    rate = count / seconds if seconds > 0 else 0.0
    if args.json:
        summary: dict[str, Any] = {
            "source": args.source,
            "scheme": args.scheme,
            "count": count,
            "duplicates": duplicates,
            "seconds": round(seconds, 3),
            "examples_per_second": round(rate, 1),
            "ok": error is None,
        }
        if error is not None:
            summary["error"] = error.to_wire()["error"]
        print(json.dumps(summary), file=sys.stderr)
        return
    if error is not None:
        print(f"datasync: error: {error}", file=sys.stderr)
    print(
        f"hashed {count} examples in {seconds:.2f} s ({rate:,.0f} examples/s), "
        f"{duplicates} duplicate ids, scheme {args.scheme}",
        file=sys.stderr,
    )
