"""``datasync pull NAME [--version V] [-o FILE]``: export a version as JSONL or Parquet.

Each row is ``{"id", "input", "output", "metadata"}``, so ``datasync push FILE --dataset NAME``
of a pulled file is a no-op. The file is written next to its final name and renamed into
place when complete (nothing half-written).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Any

from datasync._extras import require
from datasync.cli._connection import add_connection_args, connect, tag_pair
from datasync.errors import UsageError, ValidationError
from datasync.sync import ExampleData


def register(subparsers: Any) -> None:
    """Add the ``pull`` subcommand."""
    parser = subparsers.add_parser(
        "pull",
        help="export a dataset version to JSONL or Parquet",
        description="Write every example of a version (default: the head) as rows"
        ' {"id", "input", "output", "metadata"}: JSONL on stdout, or to -o FILE (.jsonl or'
        " .parquet). Pushing the file back is a no-op. Exit 0, 1 error, 2 usage.",
    )
    parser.add_argument("name", metavar="NAME", help="a dataset name or id")
    parser.add_argument(
        "--version",
        type=int,
        metavar="V",
        help="a version number: 1, 2, 3, ... within the dataset (default: head)",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="out.jsonl or out.parquet")
    parser.add_argument(
        "--tag",
        type=tag_pair,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="the newest version tagged KEY=VALUE (repeatable: all must hold); not with --version",
    )
    parser.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="only examples whose metadata has KEY=VALUE (a JSON value, else a string)",
    )
    add_connection_args(parser)
    parser.set_defaults(func=run)


def _where(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--where expects KEY=VALUE, not {pair!r}", code="bad_option")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        out[key] = raw if isinstance(value, dict | list) else value
    return out


def run(args: argparse.Namespace) -> int:
    """Export the version; returns the exit code."""
    where = _where(args.where)
    fmt = _format(args.output)
    with connect(args) as client:
        dataset = client.datasets.get_dataset(
            args.name, args.version, version_tags=dict(args.tag) or None
        )
        examples = dataset.examples(where=where or None)
        if args.output is None:
            try:
                count = _write_jsonl(sys.stdout.buffer, examples)
                sys.stdout.flush()
            except BrokenPipeError:  # the reader left (`| head`): not an error
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return 0
        else:
            count = _atomic(Path(args.output), fmt, examples)
    where_text = f" where {where}" if where else ""
    target = args.output or "stdout"
    print(
        f"pulled {count} examples of {dataset.name} version {dataset.version_id}{where_text}"
        f" to {target}",
        file=sys.stderr,
    )
    return 0


def _format(output: str | None) -> str:
    if output is None or output.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if output.endswith((".parquet", ".pq")):
        require("pyarrow", "writing Parquet")  # before the output file is created
        return "parquet"
    raise UsageError(
        f"cannot tell the format of {output!r}: name it .jsonl or .parquet", code="bad_option"
    )


def _row(example: ExampleData) -> dict[str, Any]:
    return {
        "id": example.source_id,
        "input": example.input,
        "output": example.output,
        "metadata": example.metadata,
    }


def _write_jsonl(out: IO[bytes], examples: Iterable[ExampleData]) -> int:
    count = 0
    for example in examples:
        out.write(json.dumps(_row(example), ensure_ascii=False).encode() + b"\n")
        count += 1
    return count


def _atomic(path: Path, fmt: str, examples: Iterator[ExampleData]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            count = _write_jsonl(out, examples) if fmt == "jsonl" else _write_parquet(out, examples)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def _parquet_row(example: ExampleData) -> dict[str, Any]:
    # Parquet cannot hold a struct without fields; a null output/metadata reads back as {}.
    row = _row(example)
    for part in ("output", "metadata"):
        if not row[part]:
            row[part] = None
    return row


def _write_parquet(out: IO[bytes], examples: Iterator[ExampleData]) -> int:
    """Write by batches; every batch is read back and re-hashed, so a file that would not
    push back as a no-op (Parquet needs one schema for all rows) is refused, not written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from datasync.sources import examples_from_arrow, hash_examples

    writer: Any = None
    schema: Any = None
    count = 0
    try:
        while batch := list(islice(examples, 2000)):
            try:
                table = pa.Table.from_pylist([_parquet_row(e) for e in batch], schema=schema)
                schema = table.schema
                if writer is None:
                    writer = pq.ParquetWriter(out, schema)
                back = hash_examples(examples_from_arrow(table, source_id_key="id"), workers=1)
                for example, hashed in zip(batch, back, strict=True):
                    if hashed.hash != example.hash:
                        raise ValidationError(
                            f"example {example.source_id!r} would not read back the same from"
                            " Parquet (its keys or types differ from the other rows'); pull to"
                            " .jsonl instead",
                            code="not_parquet_safe",
                        )
                writer.write_table(table)
            except (pa.ArrowException, ValueError) as exc:
                raise ValidationError(
                    f"these examples do not fit one Parquet schema ({exc}); pull to .jsonl instead",
                    code="not_parquet_safe",
                ) from None
            count += len(batch)
        if writer is None:
            raise ValidationError(
                "the version has no examples to write as Parquet; pull to .jsonl", code="empty"
            )
    finally:
        if writer is not None:
            writer.close()
    return count
