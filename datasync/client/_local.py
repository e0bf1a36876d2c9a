"""The local side of a push: read the examples, hash them, keep only ids and hashes.

A :class:`LocalSource` reads its examples twice. The first pass hashes them into a
:class:`LocalManifest` (ids and hashes by position in source order, compact: a list of ids and
one buffer of raw 32-byte digests, no per-example dict or hex string); the second pass, once
the plan is known, yields the bodies of the examples to send, by position. For a JSONL
location the first pass also records each example's line number, and the second pass parses
only the lines it sends (the others are split, not parsed). Other files and in-memory data
(lists, DataFrames, Arrow tables) are simply read again; one-shot streams
(generators, stdin) are spilled to a temporary file during the first pass. Bodies are never
all held in memory unless the caller handed them to us that way.
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, overload

import orjson

from datasync.errors import SourceError, UsageError
from datasync.sources import (
    ContentLine,
    Example,
    HashedExample,
    examples_from_arrow,
    examples_from_rows,
    hash_examples,
    hash_source,
    is_many,
    is_phoenix_uri,
    jsonl_contents_at,
    jsonl_examples_at,
    location_path,
    open_source,
)
from datasync.sources import detect_format as _detect_format
from datasync.sync.manifest import LeafIndex, LeafTable

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
    max_errors: int = 1  # bad examples collected before stopping (0: all)

    def keys(self) -> dict[str, Any]:
        return {
            "source_id_key": self.source_id_key,
            "input_keys": self.input_keys,
            "output_keys": self.output_keys,
            "metadata_keys": self.metadata_keys,
            "max_errors": self.max_errors,
        }


#: Bytes of one content hash as held: BLAKE3-256 (content hash v1's default scheme).
HASH_BYTES = 32


class PackedIds(Sequence[bytes]):
    """Source ids as UTF-8 in one buffer with their end offsets (~14 bytes an id of 10 chars,
    instead of ~70 for a ``str`` in a list); items are the UTF-8 bytes of each id."""

    __slots__ = ("_blob", "_ends")

    def __init__(self) -> None:
        self._blob: bytes | bytearray = bytearray()
        self._ends = array("Q")

    def append(self, source_id: str) -> None:
        blob = self._blob
        assert isinstance(blob, bytearray), "append after freeze"
        blob += source_id.encode("utf-8")
        self._ends.append(len(blob))

    def freeze(self) -> None:
        """No more ids: hold the buffer as ``bytes`` (slices are then ``bytes`` too)."""
        self._blob = bytes(self._blob)

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, index: int) -> bytes: ...
    @overload
    def __getitem__(self, index: slice) -> list[bytes]: ...
    def __getitem__(self, index: int | slice) -> bytes | list[bytes]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1 or start >= stop:
                return [self[i] for i in range(start, stop, step)]
            blob, ends = self._blob, self._ends
            firsts = itertools.chain((ends[start - 1] if start else 0,), ends[start : stop - 1])
            return [bytes(blob[a:b]) for a, b in zip(firsts, ends[start:stop], strict=True)]
        if index < 0:
            index += len(self)
        end = self._ends[index]  # IndexError past the end, as a sequence must
        raw = self._blob[self._ends[index - 1] if index else 0 : end]
        return raw if isinstance(raw, bytes) else bytes(raw)

    def text(self, index: int) -> str:
        """The id at ``index`` as ``str``."""
        return self[index].decode("utf-8")


class LocalManifest:
    """The local examples' ids and content hashes, by 0-based position in source order.

    ``ids[p]`` is an id (UTF-8, :meth:`id_at` for the ``str``); its hash is held raw in
    ``digests[32 p : 32 (p + 1)]``: about 50 bytes an example in all, instead of two dict
    entries, an ``int`` and a 64-char string. ``lines[p]`` is the example's line number when
    the source is read by line (JSONL). The :class:`LeafIndex` and :class:`LeafTable` are
    built once, on first use, after :meth:`freeze`.
    """

    __slots__ = ("_index", "_table", "digests", "ids", "lines")

    def __init__(self, lines: array[int] | None = None) -> None:
        self.ids = PackedIds()
        self.digests = bytearray()
        self.lines = lines
        self._index: LeafIndex | None = None
        self._table: LeafTable | None = None

    def add(self, item: HashedExample) -> None:
        digest = bytes.fromhex(item.hash)
        if len(digest) != HASH_BYTES:
            raise UsageError(
                f"a push hashes with BLAKE3-256 (64 hex chars), not {item.hash!r}",
                code="unknown_scheme",
            )
        self.ids.append(item.source_id)
        self.digests += digest
        if self.lines is not None:
            self.lines.append(_line_of(item.location))

    def freeze(self) -> None:
        """Every example was added (the ids' buffer becomes ``bytes``)."""
        self.ids.freeze()

    def __len__(self) -> int:
        return len(self.ids)

    def id_at(self, position: int) -> str:
        """The source id of the example at ``position``."""
        return self.ids.text(position)

    def hash_at(self, position: int) -> str:
        """The content hash (64 hex chars) of the example at ``position``."""
        return self.digests[position * HASH_BYTES : (position + 1) * HASH_BYTES].hex()

    @property
    def index(self) -> LeafIndex:
        if self._index is None:
            self.table()
        assert self._index is not None
        return self._index

    def table(self) -> LeafTable:
        """The leaf table of the manifest (as ``LeafTable.from_manifest(self.hashes())``)."""
        if self._table is None:
            ids = self.ids[:]  # one bytes object an id while the two are built (~50 B each)
            self._index = LeafIndex.of(ids)
            self._table = LeafTable.from_packed(ids, self.digests, self._index)
        return self._table

    def position(self, source_id: str) -> int | None:
        """The position of ``source_id``, or ``None`` when the source does not hold it."""
        return self.index.find(self.ids, source_id)

    def hashes(self) -> dict[str, str]:
        """``{source_id: hash}`` of every example (a full copy: for small manifests)."""
        return {self.id_at(p): self.hash_at(p) for p in range(len(self))}


class LocalSource:
    """Examples that can be hashed once and read again for the bodies to send."""

    def __init__(
        self,
        describe: str,
        hashed: Callable[[], Iterator[HashedExample]],
        examples: Callable[[], Iterator[Example]],
        cleanup: Callable[[], None] = lambda: None,
        at_lines: Callable[[Iterable[int]], Iterator[Example]] | None = None,
        contents_at: Callable[[Iterable[int]], Iterator[ContentLine]] | None = None,
    ) -> None:
        self.describe = describe
        self._hashed = hashed
        self._examples = examples
        self._cleanup = cleanup
        self._at_lines = at_lines
        self._contents_at = contents_at

    def manifest(self, progress: Callable[[int], None] | None = None) -> LocalManifest:
        """First pass: hash every example. Raises :class:`SourceError` (bad data), with
        nothing sent yet."""
        out = LocalManifest(array("q") if self._at_lines is not None else None)
        for n, item in enumerate(self._hashed(), 1):
            out.add(item)
            if progress is not None and n % 1000 == 0:
                progress(n)
        out.freeze()
        return out

    def bodies(self, manifest: LocalManifest, positions: Sequence[int]) -> Iterator[Example]:
        """Second pass: the examples at ``positions`` (ascending), in source order.

        Raises :class:`SourceError` (``source_changed``) when the source no longer holds the
        same ids at the same positions (it was edited between the two passes).
        """
        if not positions:
            return
        ids, lines = manifest.ids.text, manifest.lines
        if lines is not None and self._at_lines is not None:
            yield from self._bodies_at_lines(positions, ids, lines)
            return
        next_i = 0
        for index, example in enumerate(self._examples()):
            if index != positions[next_i]:
                continue
            yield _checked(example, ids(index))
            next_i += 1
            if next_i == len(positions):
                return
        raise SourceError(
            f"the source changed while pushing: it ended before {len(positions)} examples"
            " were read again; push again",
            code="source_changed",
            location=self.describe,
        )

    def contents(self, manifest: LocalManifest, positions: Sequence[int]) -> Iterator[bytes] | None:
        """Second pass, encoded: the canonical content bytes of the examples at ``positions``
        (ascending), parsed and hashed in worker processes; ``None`` when this source cannot
        give them (then read :meth:`bodies`).

        Raises :class:`SourceError` (``source_changed``) when a line no longer holds the same
        id or the same content as in the first pass.
        """
        if self._contents_at is None or manifest.lines is None:
            return None
        return self._contents(manifest, positions, manifest.lines)

    def _contents(
        self, manifest: LocalManifest, positions: Sequence[int], lines: Sequence[int]
    ) -> Iterator[bytes]:
        if not positions:
            return
        assert self._contents_at is not None
        got = self._contents_at(lines[p] for p in positions)
        count = 0
        try:
            for p, (line, source_id, digest, content) in zip(positions, got, strict=False):
                expected, where = manifest.id_at(p), f"{self.describe}:{line}"
                if line != lines[p]:
                    raise _changed(f"expected id {expected!r} on line {lines[p]}", where)
                if (source_id if source_id is not None else digest) != expected:
                    raise _changed(f"expected id {expected!r} here, found {source_id!r}", where)
                if digest != manifest.hash_at(p):
                    raise _changed(f"the content of {expected!r} is not what was hashed", where)
                yield content
                count += 1
        finally:
            # Stop the worker processes now, not when the generator is collected: forked
            # while the commit's connection was open, they hold its socket, and the server
            # would wait for the rest of a body that is never coming.
            close = getattr(got, "close", None)
            if close is not None:
                close()
        if count < len(positions):
            p = positions[count]
            raise _changed(
                f"expected id {manifest.id_at(p)!r} on line {lines[p]}, which is blank or past"
                " the end",
                self.describe,
            )

    def _bodies_at_lines(
        self, positions: Sequence[int], ids: Callable[[int], str], lines: Sequence[int]
    ) -> Iterator[Example]:
        """The second pass by line number: only the lines to send are parsed."""
        got = self._at_lines(lines[p] for p in positions) if self._at_lines else iter(())
        count = 0
        for p, example in zip(positions, got, strict=False):
            if _line_of(example.location) != lines[p]:
                raise _changed(f"expected id {ids(p)!r} on line {lines[p]}", example.location)
            yield _checked(example, ids(p))
            count += 1
        if count < len(positions):
            p = positions[count]
            raise _changed(
                f"expected id {ids(p)!r} on line {lines[p]}, which is blank or past the end",
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
    """A table read column by column through Arrow: pandas, polars, pyarrow, a Hugging Face
    ``datasets.Dataset``, or anything exporting an Arrow stream (``__arrow_c_stream__``)."""
    module = type(data).__module__
    if module.startswith(("pyarrow", "pandas", "polars")):
        return True
    if module.startswith("datasets.") and hasattr(data, "with_format"):
        return True
    return hasattr(type(data), "__arrow_c_stream__")


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
            "examples must be a list or iterable of dicts, a pandas or polars DataFrame, a"
            " pyarrow Table, a Hugging Face Dataset, an object with __arrow_c_stream__, or a"
            f" path/URI, not {type(examples).__name__}",
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
            max_errors=mapping.max_errors,
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
    if is_phoenix_uri(uri):  # one response from Phoenix: the first pass keeps a copy
        return _spilled(uri.split("?", 1)[0], open_source(uri, **options), workers)
    if uri == "-":
        return _spilled("<stdin>", open_source(uri, **options), workers)
    at_lines = contents_at = None
    if _is_jsonl(uri, options.get("format")) and not is_many(uri):
        line_options = {k: v for k, v in options.items() if k not in ("format", "binary")}

        def at_lines(lines: Iterable[int]) -> Iterator[Example]:
            return jsonl_examples_at(uri, lines, **line_options)

        content_options = {k: v for k, v in line_options.items() if k != "max_errors"}

        def contents_at(lines: Iterable[int]) -> Iterator[ContentLine]:
            return jsonl_contents_at(uri, lines, workers=workers, **content_options)

    return LocalSource(
        uri,
        lambda: hash_source(uri, workers=workers, **options),
        lambda: open_source(uri, **options),
        at_lines=at_lines,
        contents_at=contents_at,
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
