"""Calling many functions with bounded concurrency and a per-call timeout.

* Sync calls run on at most ``concurrency`` daemon worker threads. Python cannot stop a
  thread, so a call that overruns ``timeout`` is *abandoned*: recorded as a timeout, its late
  result ignored, and a fresh worker takes its place (the stuck thread no longer counts).
* Async calls run on one event loop, at most ``concurrency`` at a time (a semaphore), each
  under ``asyncio.wait_for`` (a timeout cancels it). A sync call that returns an awaitable
  has it awaited in its worker thread.
* ``on_done(index, outcome)`` is called in the calling thread as each call ends, so results
  can be saved as they come. An exception in a call is its outcome's ``error``; an exception
  from ``on_done`` or ``KeyboardInterrupt`` stops everything (nothing new starts) and
  propagates: what ``on_done`` already received is what finished.
"""

from __future__ import annotations

import asyncio
import inspect
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["Outcome", "run_calls"]

_POLL = 0.2


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one call ended: its ``value``, or an ``error`` (``"ValueError: boom"``,
    ``"timeout: no result after 2.0 s"``), with wall-clock times and latency in seconds."""

    value: Any
    error: str | None
    started_at: datetime
    ended_at: datetime
    seconds: float


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _timeout(timeout: float) -> str:
    return f"timeout: no result after {timeout:g} s"


def run_calls(
    calls: Sequence[Callable[[], Any]],
    on_done: Callable[[int, Outcome], None],
    *,
    is_async: bool,
    concurrency: int,
    timeout: float | None = None,
) -> None:
    """Run every call (see the module doc); returns when all ended or were abandoned."""
    if not calls:
        return
    if is_async:
        _run_async(calls, on_done, max(1, concurrency), timeout)
    else:
        _run_threads(calls, on_done, max(1, concurrency), timeout)


def _call_sync(call: Callable[[], Any]) -> Any:
    value = call()
    if inspect.isawaitable(value):
        return asyncio.run(_await(value))
    return value


async def _await(value: Awaitable[Any]) -> Any:
    return await value


class _Pool:
    """Worker threads taking call indexes from a queue; each records when it started one."""

    def __init__(self, calls: Sequence[Callable[[], Any]], size: int) -> None:
        self.calls = calls
        self.todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.done: queue.SimpleQueue[tuple[int, Outcome]] = queue.SimpleQueue()
        self.started: dict[int, tuple[float, datetime]] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.size = min(size, len(calls))
        for i in range(len(calls)):
            self.todo.put(i)

    def add_worker(self) -> None:
        threading.Thread(target=self._work, daemon=True, name="datasync-task").start()

    def _work(self) -> None:
        while not self.stop.is_set():
            try:
                i = self.todo.get_nowait()
            except queue.Empty:
                return
            t0, wall0 = time.monotonic(), datetime.now(UTC)
            with self.lock:
                self.started[i] = (t0, wall0)
            try:
                value, error = _call_sync(self.calls[i]), None
            except BaseException as exc:  # a worker must always report (even SystemExit)
                value, error = None, _describe(exc)
            ended = datetime.now(UTC)
            self.done.put((i, Outcome(value, error, wall0, ended, time.monotonic() - t0)))

    def overdue(self, pending: set[int], timeout: float) -> tuple[list[int], float]:
        """Started calls past their deadline, and seconds until the next deadline."""
        now = time.monotonic()
        late: list[int] = []
        wait = _POLL
        with self.lock:
            for i, (t0, _) in self.started.items():
                if i in pending:
                    left = t0 + timeout - now
                    if left <= 0:
                        late.append(i)
                    else:
                        wait = min(wait, left)
        return late, wait


def _run_threads(
    calls: Sequence[Callable[[], Any]],
    on_done: Callable[[int, Outcome], None],
    concurrency: int,
    timeout: float | None,
) -> None:
    pool = _Pool(calls, concurrency)
    pending = set(range(len(calls)))
    try:
        for _ in range(pool.size):
            pool.add_worker()
        while pending:
            wait = _POLL
            if timeout is not None:
                late, wait = pool.overdue(pending, timeout)
                for i in late:
                    pending.discard(i)
                    t0, wall0 = pool.started[i]
                    outcome = Outcome(
                        None, _timeout(timeout), wall0, datetime.now(UTC), time.monotonic() - t0
                    )
                    pool.add_worker()  # the stuck thread is abandoned; keep the pool's size
                    on_done(i, outcome)
            try:
                i, outcome = pool.done.get(timeout=max(wait, 0.001))
            except queue.Empty:
                continue
            if i in pending:
                pending.discard(i)
                on_done(i, outcome)
    except KeyboardInterrupt:
        pool.stop.set()
        _drain(pool, pending, on_done)  # calls that ended before the interrupt are kept
        raise
    finally:
        pool.stop.set()


def _drain(pool: _Pool, pending: set[int], on_done: Callable[[int, Outcome], None]) -> None:
    while True:
        try:
            i, outcome = pool.done.get_nowait()
        except queue.Empty:
            return
        if i in pending:
            pending.discard(i)
            on_done(i, outcome)


def _run_async(
    calls: Sequence[Callable[[], Any]],
    on_done: Callable[[int, Outcome], None],
    concurrency: int,
    timeout: float | None,
) -> None:
    main = _gather(calls, on_done, concurrency, timeout)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(main)
        return
    # Called from inside an event loop (a notebook): run ours on a thread of its own.
    failure: list[BaseException] = []

    def runner() -> None:
        try:
            asyncio.run(main)
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=runner, name="datasync-experiment")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


async def _gather(
    calls: Sequence[Callable[[], Any]],
    on_done: Callable[[int, Outcome], None],
    concurrency: int,
    timeout: float | None,
) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> tuple[int, Outcome]:
        async with gate:
            t0, wall0 = time.monotonic(), datetime.now(UTC)
            try:
                value = calls[i]()
                if inspect.isawaitable(value):
                    value = await asyncio.wait_for(_await(value), timeout)
                error = None
            except TimeoutError:
                value, error = None, _timeout(timeout or 0.0)
            except Exception as exc:
                value, error = None, _describe(exc)
            return i, Outcome(value, error, wall0, datetime.now(UTC), time.monotonic() - t0)

    tasks = [asyncio.ensure_future(one(i)) for i in range(len(calls))]
    try:
        for next_done in asyncio.as_completed(tasks):
            i, outcome = await next_done
            on_done(i, outcome)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
