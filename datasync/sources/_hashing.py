"""Content hashes of a stream of examples, in order, on all cores when the stream is large.

The hash is :func:`datasync.canonical.content_hash`; this module only schedules it. Worker
processes get chunks of examples; at most ``2 * workers`` chunks are in flight, so memory
stays bounded whatever the stream's length, and results come back in input order.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import Any, Final

from datasync.canonical import SCHEMES, content_hash, hash_bytes
from datasync.errors import CanonicalError, SourceError, UsageError
from datasync.sources._example import Example, HashedExample
from datasync.sources._problems import duplicate_error

#: Examples per chunk sent to a worker process.
CHUNK_SIZE: Final = 1000
#: With ``workers=None``, examples hashed in-process before worker processes start.
PARALLEL_AFTER: Final = 20_000

_Part = tuple[Any, Any, Any]
# A worker's answer: hashes, or (index, code, path, reason) of the first refused example.
_Result = list[str] | tuple[int, str, str, str]


def _hash_chunk(parts: list[_Part], scheme: str) -> _Result:
    """Worker body: the hashes of one chunk (CanonicalError does not pickle; send fields)."""
    hashes: list[str] = []
    for i, (input, output, metadata) in enumerate(parts):
        try:
            hashes.append(content_hash(input, output, metadata, scheme=scheme))
        except CanonicalError as exc:
            return (i, exc.code, exc.path, exc.reason)
    return hashes


def _mp_context() -> Any:
    # forkserver/spawn never copy the parent's threads (fsspec's event loop, progress bars).
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class _Identities:
    """Checks that content-hash identities (examples without source id) are distinct."""

    def __init__(self) -> None:
        self.first: dict[str, str] = {}
        self.duplicates: dict[str, list[str]] = {}

    def identity(self, example: Example, digest: str) -> str:
        if example.source_id is not None:
            return example.source_id
        if digest in self.first:
            self.duplicates.setdefault(digest, [self.first[digest]]).append(example.location)
        else:
            self.first[digest] = example.location
        return digest

    def finish(self) -> None:
        if self.duplicates:
            raise duplicate_error(
                self.duplicates, what="content (no source id key: identity is the content hash)"
            )


def _refused(example: Example, code: str, path: str, reason: str) -> SourceError:
    return SourceError(
        f"{reason} at {path}",
        code=code,
        location=example.location,
        details={"path": path, "source_id": example.source_id},
    )


def _in_process(examples: Iterable[Example], scheme: str) -> Iterator[tuple[Example, str]]:
    for example in examples:
        try:
            yield (
                example,
                content_hash(example.input, example.output, example.metadata, scheme=scheme),
            )
        except CanonicalError as exc:
            raise _refused(example, exc.code, exc.path, exc.reason) from None


def _in_workers(
    examples: Iterator[Example], scheme: str, workers: int, chunk_size: int
) -> Iterator[tuple[Example, str]]:
    in_flight: deque[tuple[list[Example], Future[_Result]]] = deque()
    with ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context()) as pool:
        try:
            while True:
                while len(in_flight) < 2 * workers:
                    chunk = list(islice(examples, chunk_size))
                    if not chunk:
                        break
                    parts = [(e.input, e.output, e.metadata) for e in chunk]
                    in_flight.append((chunk, pool.submit(_hash_chunk, parts, scheme)))
                if not in_flight:
                    return
                chunk, future = in_flight.popleft()
                result = future.result()
                if isinstance(result, tuple):
                    index, code, path, reason = result
                    raise _refused(chunk[index], code, path, reason)
                yield from zip(chunk, result, strict=True)
        finally:
            for _, future in in_flight:
                future.cancel()


def hash_examples(
    examples: Iterable[Example],
    *,
    scheme: str = "blake3",
    workers: int | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[HashedExample]:
    """``HashedExample(source_id, hash, location)`` for each example, in input order.

    The hash is content hash v1 (``scheme``: ``blake3`` or ``sha256-128``). An example
    without source id gets its hash as identity; two such examples with equal content are
    a ``duplicate_source_id`` SourceError (raised at the end, listing every location).
    ``workers``: ``None`` hashes in-process up to :data:`PARALLEL_AFTER` examples, then in
    one process per core; ``1`` always in-process; ``N > 1`` in N processes from the start.
    Results are the same either way. A value refused by content hash v1 raises SourceError
    with the canonical code, the example's location and the JSON path.
    """
    if scheme not in SCHEMES:
        hash_bytes(b"", scheme)
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise UsageError(f"workers must be >= 1, not {workers!r}", code="bad_option")
    if chunk_size < 1:
        raise UsageError(f"chunk_size must be >= 1, not {chunk_size!r}", code="bad_option")
    return _hash_stream(iter(examples), scheme, workers, chunk_size)


def _hash_stream(
    examples: Iterator[Example], scheme: str, workers: int | None, chunk_size: int
) -> Iterator[HashedExample]:
    identities = _Identities()
    cores = os.cpu_count() or 1
    if workers is None:
        head = _in_process(islice(examples, PARALLEL_AFTER), scheme)
        pairs: Iterable[tuple[Example, str]] = _chain(head, examples, scheme, cores, chunk_size)
    elif workers == 1:
        pairs = _in_process(examples, scheme)
    else:
        pairs = _in_workers(examples, scheme, workers, chunk_size)
    for example, digest in pairs:
        yield HashedExample(identities.identity(example, digest), digest, example.location)
    identities.finish()


def _chain(
    head: Iterator[tuple[Example, str]],
    rest: Iterator[Example],
    scheme: str,
    cores: int,
    chunk_size: int,
) -> Iterator[tuple[Example, str]]:
    yield from head
    if cores > 1:
        yield from _in_workers(rest, scheme, cores, chunk_size)
    else:
        yield from _in_process(rest, scheme)
