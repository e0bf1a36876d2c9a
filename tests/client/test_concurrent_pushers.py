"""Concurrent pushers converge: 8 clients push to one dataset at once through a real server
(SQLite and PostgreSQL). On ``stale_base`` each re-plans and retries with jittered backoff.

Appenders of disjoint ids all land and the head holds every row; mirror pushers each land
(or give up with a clear ``stale_base`` after their attempts), every version is exactly one
pusher's snapshot, and no request ends in a server error. Bounded: each push gives up after
60 s, the test after 240 s."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from datasync import Client, ConflictError, Dataset
from datasync.canonical import content_hash
from datasync.store import Store
from tests.client.conftest import rows, serve

PUSHERS = 8
ROUNDS = 2


@pytest.fixture
def url(store: Store) -> Iterator[str]:
    address, stop = serve(store)
    yield address
    stop()


def _together(work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(n)`` for every pusher in its own thread, started at once; each outcome is
    the return value or the exception raised."""
    start = threading.Barrier(PUSHERS)
    outcomes: list[Any] = [None] * PUSHERS

    def run(n: int) -> None:
        start.wait(30)
        try:
            outcomes[n] = work(n)
        except Exception as exc:  # the outcome under test: a ConflictError or a bug
            outcomes[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(PUSHERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(240)
    assert not any(t.is_alive() for t in threads), "a pusher did not finish within 240 s"
    return outcomes


def _manifest(data: list[dict[str, Any]]) -> dict[str, str]:
    return {str(r["id"]): content_hash(r["input"], r["output"], r["metadata"]) for r in data}


@pytest.mark.timeout(300)
def test_concurrent_appenders_of_disjoint_ids_all_land(url: str, store: Store) -> None:
    with Client(base_url=url) as first:
        first.datasets.upsert_dataset("qa", rows(10))

    def append(n: int) -> list[Dataset]:
        with Client(base_url=url) as client:
            return [
                client.datasets.upsert_dataset(
                    "qa", rows(5, start=1000 * (n + 1) + 10 * r), mode="append", retry_seconds=60
                )
                for r in range(ROUNDS)
            ]

    outcomes = _together(append)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    assert failures == []
    head = {e.source_id for e in store.iter_manifest("qa")}
    wanted = {str(r["id"]) for r in rows(10)}
    for n in range(PUSHERS):
        for r in range(ROUNDS):
            wanted |= {str(x["id"]) for x in rows(5, start=1000 * (n + 1) + 10 * r)}
    assert head == wanted
    assert len(store.list_versions("qa", limit=1000).items) == 1 + PUSHERS * ROUNDS


@pytest.mark.timeout(300)
def test_concurrent_mirror_pushers_each_land_one_whole_snapshot(url: str, store: Store) -> None:
    base = rows(20)
    with Client(base_url=url) as first:
        first.datasets.upsert_dataset("qa", base)

    def snapshot(n: int, r: int) -> list[dict[str, Any]]:
        """The shared base with this pusher's own edit, its own new rows and one row less."""
        mine = [dict(row) for row in base if row["id"] != base[n]["id"]]
        mine[0] = {**mine[0], "output": {"answer": f"pusher {n} round {r}"}}
        return mine + rows(2, start=1000 * (n + 1) + 10 * r, tag=f" by {n}")

    snapshots = {(n, r): _manifest(snapshot(n, r)) for n in range(PUSHERS) for r in range(ROUNDS)}

    def mirror(n: int) -> list[Dataset | ConflictError]:
        out: list[Dataset | ConflictError] = []
        with Client(base_url=url) as client:
            for r in range(ROUNDS):
                try:
                    out.append(
                        client.datasets.upsert_dataset("qa", snapshot(n, r), retry_seconds=60)
                    )
                except ConflictError as exc:  # gave up after its attempts: said clearly
                    assert exc.code == "stale_base" and "attempt" in exc.message
                    out.append(exc)
        return out

    outcomes = _together(mirror)
    unexpected = [o for o in outcomes if isinstance(o, BaseException)]
    assert unexpected == []  # no server error, no other failure
    landed = [d for o in outcomes for d in o if isinstance(d, Dataset)]
    assert landed, "no push landed"
    versions = store.list_versions("qa", limit=1000).items
    initial = _manifest(base)
    for version in versions:
        state = {e.source_id: e.hash for e in store.iter_manifest("qa", version.id)}
        matches = [key for key, snap in snapshots.items() if snap == state]
        assert state == initial or len(matches) == 1, f"version {version.id} is no one's snapshot"
    # every landed push is one version, and those are all the versions after the first
    assert sorted(d.version_id for d in landed if not d.no_op) == sorted(
        v.id for v in versions if v.parent_id is not None
    )
