"""Commit bodies decoded on all cores: strict JSON, fields and content hashes per line.

Decoding a line (strict parse, the operation's fields, content hash v1 of its parts, the
parts as JSON text) costs more than storing it, so a large commit hands chunks of lines to
worker processes (:func:`datasync.sync.decode_operation_lines`) while the request thread
checks ids and writes, and results come back in line order. The first chunks are decoded in
the request thread: small commits never wait for a process.

The workers are started with the app (:meth:`Decoder.start`, from the lifespan, before any
request thread exists) and live as long as it. On Linux they are forked then, so they need
no import and never re-run the program's ``__main__``; elsewhere they are spawned.

A worker never outlives the server: it dies on SIGTERM (the server's own signal handlers,
inherited through the fork, are reset), ignores SIGINT (Ctrl-C reaches the whole process
group; the server stops its workers itself), and on Linux the kernel kills it when the
thread that started it ends, SIGKILL of the server included (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import Final

from datasync.sync import DecodedOperation, LineFailure, decode_operation_lines

__all__ = ["CHUNK_LINES", "Decoder"]

#: Lines per chunk handed to a worker process.
CHUNK_LINES: Final = 1000
#: Chunks decoded in the request thread before the workers take over.
IN_THREAD_CHUNKS: Final = 2

_Result = list[DecodedOperation] | tuple[list[DecodedOperation], LineFailure]


class Decoder:
    """Decodes commit bodies; ``processes`` workers once started (``None``: one per core;
    ``1``: none). Until :meth:`start`, everything is decoded in the request thread."""

    def __init__(self, processes: int | None = None) -> None:
        self.processes = processes if processes is not None else (os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the worker processes (none when ``processes`` is 1)."""
        with self._lock:
            if self._pool is not None or self.processes <= 1:
                return
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=context,
                initializer=_worker_started,
                initargs=(os.getpid(),),
            )
            # Each submit starts at most one process: start them all now, not mid-request.
            for future in [self._pool.submit(os.getpid) for _ in range(self.processes)]:
                future.result()

    def operations(self, lines: Iterator[tuple[int, bytes]]) -> Iterator[DecodedOperation]:
        """The decoded operations of ``(line number, line)`` pairs, in order; raises the
        :class:`~datasync.errors.ValidationError` of the first line that is not one."""
        chunks = _chunks(lines)
        pool = self._pool
        for chunk in islice(chunks, IN_THREAD_CHUNKS if pool is not None else None):
            yield from _unpacked(decode_operation_lines(chunk))
        if pool is None:
            return
        first = next(chunks, None)
        if first is None:
            return
        in_flight: deque[Future[_Result]] = deque([pool.submit(decode_operation_lines, first)])
        try:
            while in_flight:
                for chunk in islice(chunks, 2 * self.processes - len(in_flight)):
                    in_flight.append(pool.submit(decode_operation_lines, chunk))
                yield from _unpacked(in_flight.popleft().result())
        finally:
            for future in in_flight:
                future.cancel()

    def close(self) -> None:
        """Stop the worker processes, if any were started."""
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None


_PR_SET_PDEATHSIG: Final = 1  # linux/prctl.h


def _worker_started(server_pid: int) -> None:
    """In each worker, first: die with the server (module doc)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != server_pid:  # the server died before prctl took effect
        os._exit(1)


def _chunks(lines: Iterator[tuple[int, bytes]]) -> Iterator[list[tuple[int, bytes]]]:
    while chunk := list(islice(lines, CHUNK_LINES)):
        yield chunk


def _unpacked(result: _Result) -> Iterator[DecodedOperation]:
    if isinstance(result, list):
        yield from result
        return
    decoded, failure = result
    yield from decoded
    raise failure.error()
