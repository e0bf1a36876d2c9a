"""upsert_dataset end to end, through the embedded store and a live server, on SQLite and
PostgreSQL: summaries are exact and the store holds exactly what was pushed."""

from __future__ import annotations

from typing import Any

import pytest

from datasync.client import Client
from datasync.errors import ConflictError, UsageError
from datasync.store import Store
from tests.client.conftest import MakeClient, rows


def stored(store: Store, name: str, version: int | None = None) -> dict[str, dict[str, Any]]:
    """``{source_id: {"input", "output", "metadata"}}`` of a version, read from the store."""
    out: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        page = store.iter_examples(name, version, limit=1000, cursor=cursor)
        for e in page.items:
            out[e.source_id] = {"input": e.input, "output": e.output, "metadata": e.metadata}
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


def as_state(data: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        str(r["id"]): {"input": r["input"], "output": r["output"], "metadata": r["metadata"]}
        for r in data
    }


def test_initial_push_creates_every_example(client: Client, store: Store) -> None:
    data = rows(400)
    ds = client.datasets.upsert_dataset(dataset="qa", examples=data, message="first")
    assert (ds.name, ds.base_version_id, ds.no_op, ds.total) == ("qa", None, False, 400)
    assert ds.summary.to_dict() == {"created": 400, "patched": 0, "deleted": 0, "unchanged": 0}
    assert store.get_dataset("qa").head_version_id == ds.version_id
    assert stored(store, "qa") == as_state(data)
    assert [e.source_id for e in ds.examples()] == [r["id"] for r in data]


def test_mixed_change_summary_is_exact_and_store_matches(client: Client, store: Store) -> None:
    data = rows(2000)
    v1 = client.datasets.upsert_dataset(dataset="qa", examples=data)
    changed = [dict(r) for r in data]
    for i in range(0, 2000, 100):  # 1% changed
        changed[i] = {**changed[i], "output": {"answer": "fixed"}}
    removed = {changed[i]["id"] for i in range(7, 2000, 200)}  # 0.5% deleted
    changed = [r for r in changed if r["id"] not in removed] + rows(10, start=5000)  # 0.5% new
    v2 = client.datasets.upsert_dataset(dataset="qa", examples=changed, message="v2")
    assert v2.summary.to_dict() == {
        "created": 10,
        "patched": 20,
        "deleted": 10,
        "unchanged": 1970,
    }
    assert (v2.base_version_id, v2.total) == (v1.version_id, 2000)
    assert stored(store, "qa") == as_state(changed)
    assert stored(store, "qa", v1.version_id) == as_state(data)  # v1 reads back unchanged
    assert [v.message for v in client.datasets.list_versions("qa")] == ["v2", None]


def test_noop_push_creates_no_version(client: Client, store: Store) -> None:
    data = rows(3000)
    v1 = client.datasets.upsert_dataset(dataset="qa", examples=data)
    again = client.datasets.upsert_dataset(dataset="qa", examples=list(reversed(data)))
    assert again.no_op and again.version_id == v1.version_id
    assert again.summary.to_dict() == {"created": 0, "patched": 0, "deleted": 0, "unchanged": 3000}
    assert len(store.list_versions("qa").items) == 1
    moved = again.transfer.bytes_sent + again.transfer.bytes_received
    assert moved < 4096  # root comparison only (0 for the embedded store)


def test_append_never_deletes_and_mirror_does(client: Client, store: Store) -> None:
    client.datasets.upsert_dataset(dataset="qa", examples=rows(100))
    appended = client.datasets.upsert_dataset(
        dataset="qa", examples=rows(10, start=95, tag="!"), mode="append"
    )
    assert appended.summary.to_dict() == {
        "created": 5,
        "patched": 5,
        "deleted": 0,
        "unchanged": 95,
    }
    assert len(stored(store, "qa")) == 105
    mirrored = client.datasets.upsert_dataset(
        dataset="qa", examples=rows(10, start=95, tag="!"), max_delete=1.0
    )
    assert mirrored.summary.deleted == 95 and set(stored(store, "qa")) == {
        f"e{i:05d}" for i in range(95, 105)
    }


def test_concurrent_push_conflict_replans_once(make_client: MakeClient, store: Store) -> None:
    first, second = make_client(), make_client()
    first.datasets.upsert_dataset(dataset="qa", examples=rows(200))
    commit = first.backend.commit
    calls: list[int] = []

    def racing_commit(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:  # another client lands a version between plan and commit
            second.datasets.upsert_dataset(dataset="qa", examples=rows(200, tag="?"))
        return commit(*args, **kwargs)

    first.backend.commit = racing_commit  # type: ignore[method-assign]
    mine = rows(150)
    result = first.datasets.upsert_dataset(dataset="qa", examples=mine, max_delete=0.25)
    assert len(calls) == 2
    versions = store.list_versions("qa").items
    assert versions[0].id == result.version_id and len(versions) == 3
    assert result.base_version_id == versions[1].id  # re-planned against the other push
    assert result.summary.to_dict() == {"created": 0, "patched": 150, "deleted": 50, "unchanged": 0}
    assert stored(store, "qa") == as_state(mine)


def test_conflicts_are_retried_until_the_push_lands(make_client: MakeClient, store: Store) -> None:
    first, second = make_client(), make_client()
    first.datasets.upsert_dataset(dataset="qa", examples=rows(20))
    commit = first.backend.commit
    pushes = iter(["a", "b", "c"])

    def late_three_times(*args: Any, **kwargs: Any) -> Any:
        tag = next(pushes, None)
        if tag is not None:
            second.datasets.upsert_dataset(dataset="qa", examples=rows(20, tag=tag))
        return commit(*args, **kwargs)

    first.backend.commit = late_three_times  # type: ignore[method-assign]
    result = first.datasets.upsert_dataset(dataset="qa", examples=rows(20, tag="mine"))
    versions = store.list_versions("qa").items
    assert len(versions) == 5 and versions[0].id == result.version_id
    assert result.base_version_id == versions[1].id
    assert stored(store, "qa") == as_state(rows(20, tag="mine"))


def test_conflicts_beyond_the_attempts_are_raised_saying_so(
    make_client: MakeClient, store: Store
) -> None:
    first, second = make_client(), make_client()
    first.datasets.upsert_dataset(dataset="qa", examples=rows(20))
    commit = first.backend.commit
    pushes = iter(["a", "b", "c"])

    def always_late(*args: Any, **kwargs: Any) -> Any:
        second.datasets.upsert_dataset(dataset="qa", examples=rows(20, tag=next(pushes)))
        return commit(*args, **kwargs)

    first.backend.commit = always_late  # type: ignore[method-assign]
    with pytest.raises(ConflictError) as info:
        first.datasets.upsert_dataset(dataset="qa", examples=rows(5), max_delete=1.0, retries=3)
    assert info.value.code == "stale_base" and info.value.details["attempts"] == 3
    assert "3 attempt(s)" in info.value.message and "--retries" in info.value.message
    assert stored(store, "qa") == as_state(rows(20, tag="c"))


def test_retry_options_are_checked(client: Client) -> None:
    with pytest.raises(UsageError):
        client.datasets.upsert_dataset(dataset="qa", examples=rows(1), retries=0)
    with pytest.raises(UsageError):
        client.datasets.upsert_dataset(dataset="qa", examples=rows(1), retry_seconds=0)
