"""Content hashes of a stream of examples, in order, on all cores when the stream is large.

The hash is :func:`datasync.canonical.content_hash`; this module only schedules it. Work
goes to worker processes in chunks; at most ``2 * workers`` chunks are in flight, so memory
stays bounded whatever the stream's length, and results come back in input order.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Any, Final, TypeVar

from datasync.canonical import SCHEMES, content_hash, hash_bytes
from datasync.errors import CanonicalError, SourceError, UsageError
from datasync.sources._example import Example, HashedExample
from datasync.sources._problems import duplicate_error

#: Examples (or JSONL lines) per chunk sent to a worker process.
CHUNK_SIZE: Final = 1000
#: With ``workers=None``, examples handled in-process before worker processes start.
PARALLEL_AFTER: Final = 20_000

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Failure:
    """A SourceError's fields (a DatasyncError does not survive pickling between processes)."""

    message: str
    code: str
    location: str | None
    details: dict[str, Any]

    @classmethod
    def of(cls, error: SourceError) -> Failure:
        return cls(error.message, error.code, error.location, error.details)

    def error(self) -> SourceError:
        """The SourceError again (``message`` already names the location)."""
        error = SourceError(self.message, code=self.code, details=self.details)
        error.location = self.location
        return error


def refused(exc: CanonicalError, example: Example) -> SourceError:
    """A content-hash refusal as a SourceError at the example's location."""
    return SourceError(
        f"{exc.reason} at {exc.path}",
        code=exc.code,
        location=example.location,
        details={"path": exc.path, "source_id": example.source_id},
    )


def _hash_chunk(chunk: list[Example], scheme: str) -> list[str] | Failure:
    """Worker body: the hashes of one chunk, or the first refusal."""
    hashes: list[str] = []
    for example in chunk:
        try:
            hashes.append(
                content_hash(example.input, example.output, example.metadata, scheme=scheme)
            )
        except CanonicalError as exc:
            return Failure.of(refused(exc, example))
    return hashes


def _mp_context() -> Any:
    # fork on Linux: workers need no re-import of the caller's __main__ (spawn and forkserver
    # re-run unguarded scripts and fail for `python -` or `python -m datasync`); the child only
    # runs pure hashing code and touches none of the parent's threads (fsspec's loop, rich).
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def check_workers(workers: int | None) -> int | None:
    """``workers`` if None or >= 1, else UsageError."""
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise UsageError(f"workers must be >= 1, not {workers!r}", code="bad_option")
    return workers


def run_ordered(
    fn: Callable[..., R],
    jobs: Iterator[tuple[T, tuple[Any, ...]]],
    workers: int | None,
    chunk_size: int,
) -> Iterator[tuple[T, R]]:
    """``(tag, fn(*args))`` for each job ``(tag, args)``, in job order.

    ``workers=1`` runs every job here; ``N > 1`` in N processes; ``None`` runs the jobs
    covering the first :data:`PARALLEL_AFTER` items here, then one process per core. At most
    ``2 * workers`` jobs are in flight; tags stay in this process.
    """
    cores = os.cpu_count() or 1
    if workers is None:
        for tag, args in islice(jobs, max(1, PARALLEL_AFTER // chunk_size)):
            yield tag, fn(*args)
        workers = cores
    if workers == 1:
        for tag, args in jobs:
            yield tag, fn(*args)
        return
    first = next(jobs, None)
    if first is None:
        return  # no pool for a stream that ended in-process
    jobs = itertools.chain([first], jobs)
    in_flight: deque[tuple[T, Future[R]]] = deque()
    with ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context()) as pool:
        try:
            while True:
                for tag, args in islice(jobs, 2 * workers - len(in_flight)):
                    in_flight.append((tag, pool.submit(fn, *args)))
                if not in_flight:
                    return
                tag, future = in_flight.popleft()
                yield tag, future.result()
        finally:
            for _, future in in_flight:
                future.cancel()


class ContentIdentities:
    """Gives examples without source id their hash as identity; refuses equal content."""

    def __init__(self) -> None:
        self.first: dict[str, str] = {}
        self.duplicates: dict[str, list[str]] = {}

    def identity(self, source_id: str | None, digest: str, location: str) -> str:
        """The identity of an example: its source id, else its content hash."""
        if source_id is not None:
            return source_id
        if digest in self.first:
            self.duplicates.setdefault(digest, [self.first[digest]]).append(location)
        else:
            self.first[digest] = location
        return digest

    def finish(self) -> None:
        """Raise ``duplicate_source_id`` listing every repeated content with its locations."""
        if self.duplicates:
            raise duplicate_error(
                self.duplicates, what="content (no source id key: identity is the content hash)"
            )


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
    check_workers(workers)
    if chunk_size < 1:
        raise UsageError(f"chunk_size must be >= 1, not {chunk_size!r}", code="bad_option")
    return _hash_stream(iter(examples), scheme, workers, chunk_size)


def _chunks(examples: Iterator[Example], size: int) -> Iterator[list[Example]]:
    while chunk := list(islice(examples, size)):
        yield chunk


def _hash_stream(
    examples: Iterator[Example], scheme: str, workers: int | None, chunk_size: int
) -> Iterator[HashedExample]:
    identities = ContentIdentities()
    jobs = ((chunk, (chunk, scheme)) for chunk in _chunks(examples, chunk_size))
    for chunk, result in run_ordered(_hash_chunk, jobs, workers, chunk_size):
        if isinstance(result, Failure):
            raise result.error()
        for example, digest in zip(chunk, result, strict=True):
            identity = identities.identity(example.source_id, digest, example.location)
            yield HashedExample(identity, digest, example.location)
    identities.finish()
