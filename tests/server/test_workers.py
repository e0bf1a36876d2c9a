"""`datasync serve --workers 4` on PostgreSQL: 8 pushers at once, every push lands as its own
version, and every version is exactly one pusher's snapshot (no lost update)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from datasync import Client, Dataset
from tests.server.test_deploy import start_serve, stop

PUSHERS = 8


def snapshot(pusher: int) -> list[dict[str, Any]]:
    """Pusher ``pusher``'s rows: shared ids, some only its own, contents all its own."""
    shared = [{"id": f"e{i:03d}", "input": {"q": i}, "output": {"by": pusher}} for i in range(40)]
    own = [{"id": f"p{pusher}-{i}", "input": {"q": i}} for i in range(pusher + 1)]
    return shared + own


def as_stored(rows: list[dict[str, Any]]) -> dict[str, tuple[Any, Any]]:
    return {r["id"]: (r["input"], r.get("output") or {}) for r in rows}


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_four_workers_take_eight_concurrent_pushes_without_losing_one(store_url: str) -> None:
    proc, url = start_serve(
        ["--workers", "4", "--db", store_url], {"DATASYNC_API_KEY": "deploy-key"}
    )
    start = threading.Barrier(PUSHERS)

    def push(pusher: int) -> Dataset:
        with Client(base_url=url, api_key="deploy-key", timeout=120) as client:
            start.wait(timeout=60)
            return client.datasets.upsert_dataset("shared", snapshot(pusher), message=f"p{pusher}")

    try:
        with ThreadPoolExecutor(PUSHERS) as pool:
            results = list(pool.map(push, range(PUSHERS)))
        with Client(base_url=url, api_key="deploy-key") as client:
            versions = client.datasets.list_versions("shared")
            contents = {
                v.id: as_stored(
                    [
                        {"id": e.source_id, "input": e.input, "output": e.output}
                        for e in client.datasets.get_dataset("shared", v.id).examples()
                    ]
                )
                for v in versions
            }
    finally:
        stop(proc)
    # every push made its own version (each snapshot differs from whatever head it met)
    assert all(not r.no_op and r.version_id is not None for r in results)
    assert len({r.version_id for r in results}) == PUSHERS
    assert sorted(contents) == sorted(r.version_id for r in results)
    # ... holding exactly that pusher's snapshot
    for pusher, result in enumerate(results):
        assert contents[result.version_id] == as_stored(snapshot(pusher)), pusher
