"""The local side of a push: read the examples, hash them, keep only ids and hashes.

A :class:`LocalSource` reads its examples twice. The first pass hashes them into a
:class:`LocalManifest` (``{source_id: hash}`` plus each id's position in source order); the
second pass, once the plan is known, yields the bodies of the examples to send. For a JSONL
location the first pass also records each example's line number, and the second pass parses
only the lines it sends (the others are split, not parsed). Other files and in-memory data
(lists, DataFrames, Arrow tables) are simply read again; one-shot streams
(generators, stdin) are spilled to a temporary file during the first pass. Bodies are never
all held in memory unless the caller handed them to us that way.
"""

from __future__ import annotations

import json
import os
import tempfile
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from datasync.errors import SourceError, UsageError
from datasync.sources import (
    Example,
    HashedExample,
    examples_from_arrow,
    examples_from_rows,
    hash_examples,
    hash_source,
    jsonl_examples_at,
    location_path,
    open_source,
)
from datasync.sources import detect_format as _detect_format

__all__ = ["LocalManifest", "LocalSource", "RowMapping", "local_source"]


@dataclass(frozen=True)
class RowMapping:
    """How rows become examples (the column mapping of docs/sources.md)."""

    source_id_key: str | None = "id"
    source_id_fn: Callable[[Mapping[str, Any]], Any] | None = None
    input_keys: Sequence[str] | None = None
    output_keys: Sequence[str] | None = None
    metadata_keys: Sequence[str] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)  # open_source extras

    def keys(self) -> dict[str, Any]:
        return {
            "source_id_key": self.source_id_key,
            "input_keys": self.input_keys,
            "output_keys": self.output_keys,
            "metadata_keys": self.metadata_keys,
        }


@dataclass
class LocalManifest:
    """``{source_id: hash}`` of the local examples, and each id's 0-based position.

    ``lines[position]`` is the example's line number when the source is read by line (JSONL).
    """

    hashes: dict[str, str] = field(default_factory=dict)
    positions: dict[str, int] = field(default_factory=dict)
    lines: array[int] | None = None

    def add(self, item: HashedExample) -> None:
        self.positions[item.source_id] = len(self.hashes)
        self.hashes[item.source_id] = item.hash
        if self.lines is not None:
            self.lines.append(_line_of(item.location))

    def __len__(self) -> int:
        return len(self.hashes)


class LocalSource:
    """Examples that can be hashed once and read again for the bodies to send."""

    def __init__(
        self,
        describe: str,
        hashed: Callable[[], Iterator[HashedExample]],
        examples: Callable[[], Iterator[Example]],
        cleanup: Callable[[], None] = lambda: None,
        at_lines: Callable[[Iterable[int]], Iterator[Example]] | None = None,
    ) -> None:
        self.describe = describe
        self._hashed = hashed
        self._examples = examples
        self._cleanup = cleanup
        self._at_lines = at_lines

    def manifest(self, progress: Callable[[int], None] | None = None) -> LocalManifest:
        """First pass: hash every example. Raises :class:`SourceError` (bad data), with
        nothing sent yet."""
        out = LocalManifest(lines=array("q") if self._at_lines is not None else None)
        for n, item in enumerate(self._hashed(), 1):
            out.add(item)
            if progress is not None and n % 1000 == 0:
                progress(n)
        return out

    def bodies(self, manifest: LocalManifest, wanted: Collection[str]) -> Iterator[Example]:
        """Second pass: the examples whose ids are in ``wanted``, in source order.

        Raises :class:`SourceError` (``source_changed``) when the source no longer holds the
        same ids at the same positions (it was edited between the two passes).
        """
        positions = sorted(manifest.positions[sid] for sid in wanted)
        if not positions:
            return
        ids_at = {manifest.positions[sid]: sid for sid in wanted}
        lines = manifest.lines
        if lines is not None and self._at_lines is not None:
            yield from self._bodies_at_lines([(lines[p], ids_at[p]) for p in positions])
            return
        next_i = 0
        for index, example in enumerate(self._examples()):
            if index != positions[next_i]:
                continue
            yield _checked(example, ids_at[index])
            next_i += 1
            if next_i == len(positions):
                return
        raise SourceError(
            f"the source changed while pushing: it ended before {len(positions)} examples"
            " were read again; push again",
            code="source_changed",
            location=self.describe,
        )

    def _bodies_at_lines(self, expected: list[tuple[int, str]]) -> Iterator[Example]:
        """The second pass by line number: only the lines to send are parsed."""
        got = self._at_lines(line for line, _ in expected) if self._at_lines else iter(())
        count = 0
        for (line, sid), example in zip(expected, got, strict=False):
            if _line_of(example.location) != line:
                raise _changed(f"expected id {sid!r} on line {line}", example.location)
            yield _checked(example, sid)
            count += 1
        if count < len(expected):
            raise _changed(
                f"expected id {expected[count][1]!r} on line {expected[count][0]}, which is"
                " blank or past the end",
                self.describe,
            )

    def close(self) -> None:
        self._cleanup()

    def __enter__(self) -> LocalSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _line_of(location: str) -> int:
    """The line number of a ``file:line`` location."""
    return int(location.rpartition(":")[2])


def _changed(what: str, location: str) -> SourceError:
    return SourceError(
        f"the source changed while pushing: {what}; push again",
        code="source_changed",
        location=location,
    )


def _checked(example: Example, expected: str) -> Example:
    """``example`` under the id the manifest knows, if its own source id (if any) agrees."""
    if example.source_id is not None and example.source_id != expected:
        raise _changed(
            f"expected id {expected!r} here, found {example.source_id!r}", example.location
        )
    return Example(expected, example.input, example.output, example.metadata, example.location)


def _is_arrow(data: object) -> bool:
    module = type(data).__module__
    return module.startswith(("pyarrow", "pandas"))


def local_source(examples: object, mapping: RowMapping, workers: int | None = None) -> LocalSource:
    """A :class:`LocalSource` for a path/URI, a DataFrame, an Arrow table, or rows.

    Raises :class:`UsageError` for anything else, or for options that do not apply.
    """
    if isinstance(examples, str | os.PathLike):
        return _uri_source(os.fspath(examples), mapping, workers)
    if mapping.options:
        raise UsageError(
            f"source options {sorted(mapping.options)} apply only to a path or URI",
            code="bad_option",
        )
    if _is_arrow(examples):
        if mapping.source_id_fn is not None:
            raise UsageError(
                "source_id_fn applies to rows (dicts), not to a DataFrame or Arrow table;"
                " use source_id_key",
                code="bad_option",
            )

        def arrow() -> Iterator[Example]:
            return examples_from_arrow(examples, **mapping.keys())

        return _replay("<dataframe>", arrow, workers)
    if isinstance(examples, Mapping) or not isinstance(examples, Iterable):
        raise UsageError(
            "examples must be a list or iterable of dicts, a pandas DataFrame, a pyarrow Table,"
            f" or a path/URI, not {type(examples).__name__}",
            code="bad_examples",
        )
    fn = mapping.source_id_fn
    key = None if fn is not None else mapping.source_id_key

    def rows(data: Iterable[Any]) -> Iterator[Example]:
        return examples_from_rows(
            data,
            source_id_key=key,
            source_id_fn=fn,
            input_keys=mapping.input_keys,
            output_keys=mapping.output_keys,
            metadata_keys=mapping.metadata_keys,
        )

    if isinstance(examples, Sequence):
        return _replay("<rows>", lambda: rows(examples), workers)
    return _spilled("<rows>", rows(examples), workers)


def _replay(
    describe: str, factory: Callable[[], Iterator[Example]], workers: int | None
) -> LocalSource:
    return LocalSource(describe, lambda: hash_examples(factory(), workers=workers), factory)


def _uri_source(uri: str, mapping: RowMapping, workers: int | None) -> LocalSource:
    if mapping.source_id_fn is not None:
        raise UsageError(
            "source_id_fn applies to rows (dicts), not to a path; use source_id_key",
            code="bad_option",
        )
    options = {**mapping.keys(), **mapping.options}
    if uri == "-":
        return _spilled("<stdin>", open_source(uri, **options), workers)
    at_lines = None
    if _is_jsonl(uri, options.get("format")):
        line_options = {k: v for k, v in options.items() if k not in ("format", "binary")}

        def at_lines(lines: Iterable[int]) -> Iterator[Example]:
            return jsonl_examples_at(uri, lines, **line_options)

    return LocalSource(
        uri,
        lambda: hash_source(uri, workers=workers, **options),
        lambda: open_source(uri, **options),
        at_lines=at_lines,
    )


def _is_jsonl(uri: str, format: str | None) -> bool:
    """Whether ``uri`` reads as JSONL (an unknown format is refused later, where it was)."""
    try:
        return _detect_format(location_path(uri), format) == "jsonl"
    except UsageError:
        return False


def _spilled(describe: str, stream: Iterator[Example], workers: int | None) -> LocalSource:
    """A one-shot stream: the first pass writes each example to a temporary file."""
    fd, name = tempfile.mkstemp(prefix="datasync-spill-", suffix=".jsonl")
    path = Path(name)
    handle: IO[bytes] = os.fdopen(fd, "wb")

    def tee() -> Iterator[Example]:
        with handle:
            for ex in stream:
                row = [ex.source_id, ex.input, ex.output, ex.metadata, ex.location]
                try:
                    line = orjson.dumps(row)
                except TypeError:  # an integer beyond 64 bits (still an exact double)
                    line = json.dumps(row).encode()
                handle.write(line + b"\n")
                yield ex

    def replay() -> Iterator[Example]:
        with path.open("rb") as spill:
            for line in spill:
                sid, inp, out, meta, location = orjson.loads(line)
                yield Example(sid, inp, out, meta, location)

    return LocalSource(
        describe,
        lambda: hash_examples(tee(), workers=workers),
        replay,
        lambda: path.unlink(missing_ok=True),
    )
