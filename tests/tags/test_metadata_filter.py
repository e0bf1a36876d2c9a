"""Example metadata filters in the store: the latest revision at a version decides (patches
and deletes respected), values match literally, and on PostgreSQL the GIN index serves the
containment filter (checked with EXPLAIN)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from datasync.store import Store
from datasync.store.queries import bucket_select, manifest_select, node_ranges, ranges_first
from datasync.sync import ChangeKind, CommitHeader, bucket_of
from tests.store.helpers import op


def _body(i: int, split: str) -> dict[str, Any]:
    return {"input": {"i": i}, "output": {}, "metadata": {"split": split}}


def _ids(store: Store, version: int | None, where: dict[str, Any]) -> list[str]:
    return [e.source_id for e in store.iter_examples("qa", version, metadata=where).items]


def test_the_filter_sees_each_example_as_it_was_at_the_version(store: Store) -> None:
    v1 = store.commit(
        "qa", [op(ChangeKind.CREATE, f"e{i}", _body(i, "test")) for i in range(4)]
    ).version_id
    v2 = store.commit(
        "qa",
        [op(ChangeKind.PATCH, "e1", _body(1, "train")), op(ChangeKind.DELETE, "e2")],
        CommitHeader(v1),
    ).version_id
    v3 = store.commit(
        "qa", [op(ChangeKind.PATCH, "e1", _body(1, "test"))], CommitHeader(v2)
    ).version_id
    assert _ids(store, v1, {"split": "test"}) == ["e0", "e1", "e2", "e3"]
    assert _ids(store, v2, {"split": "test"}) == ["e0", "e3"]
    assert _ids(store, v2, {"split": "train"}) == ["e1"]
    assert _ids(store, v3, {"split": "test"}) == ["e0", "e1", "e3"]
    assert _ids(store, v3, {"split": "train"}) == []


@pytest.mark.parametrize("value", ["it's", "50%", "a_b", "x' OR '1'='1", '{"k": 1}', "%"])
def test_metadata_values_match_literally(store: Store, value: str) -> None:
    decoys = ["its", "50", "aXb", "x", "anything", "", "5%0"]
    ops = [op(ChangeKind.CREATE, "hit", _body(0, value))]
    ops += [op(ChangeKind.CREATE, f"d{i}", _body(i, v)) for i, v in enumerate(decoys)]
    store.commit("qa", ops)
    assert _ids(store, None, {"split": value}) == ["hit"]


def test_paging_through_a_filtered_version(store: Store) -> None:
    store.commit("qa", [op(ChangeKind.CREATE, f"e{i:02d}", _body(i, "t")) for i in range(7)])
    first = store.iter_examples("qa", metadata={"split": "t"}, limit=3)
    second = store.iter_examples("qa", metadata={"split": "t"}, limit=3, cursor=first.next_cursor)
    third = store.iter_examples("qa", metadata={"split": "t"}, limit=3, cursor=second.next_cursor)
    got = [e.source_id for e in first.items + second.items + third.items]
    assert got == [f"e{i:02d}" for i in range(7)]


@pytest.mark.postgres
@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)  # the GIN index is PG-only
def test_postgresql_plans_the_metadata_filter_on_the_gin_index(store: Store) -> None:
    assert store.dialect == "postgresql"
    n = 20_000  # over the store's ANALYZE threshold, so the planner has statistics
    ops = (
        op(ChangeKind.CREATE, f"e{i:05d}", _body(i, "rare" if i % 500 == 0 else f"s{i % 7}"))
        for i in range(n)
    )
    result = store.commit("qa", ops)
    assert result.version_id is not None
    stmt = manifest_select(
        "postgresql",
        result.dataset_id,
        result.version_id,
        ["source_id"],
        metadata={"split": "rare"},
    ).limit(100)
    compiled = stmt.compile(dialect=store.engine.dialect)
    with store.engine.connect() as conn:
        plan = "\n".join(
            r[0] for r in conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
        )
        rows = conn.execute(stmt).scalars().all()
    assert "ix_revisions_metadata_gin" in plan, plan
    assert rows == [f"e{i:05d}" for i in range(0, n, 500)]
    assert _ids(store, None, {"split": "rare"}) == rows[:100]
    with store.engine.connect() as conn:  # the table really is that big
        assert conn.execute(sa.text("SELECT count(*) FROM revisions")).scalar_one() == n


@pytest.mark.postgres
@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_postgresql_reads_leaf_ranges_through_the_bucket_index(store: Store) -> None:
    # The entries of ~1,000 leaf ranges: each range must be an index probe, not a filter
    # applied to every example of the dataset after its revision lookup. Left to itself,
    # PostgreSQL 15 picks the filter from about 100,000 examples on (not at 50,000).
    n = 100_000
    ops = (op(ChangeKind.CREATE, f"e{i:06d}", _body(i, "s")) for i in range(n))
    result = store.commit("qa", ops)
    assert result.version_id is not None
    ranges = node_ranges(12, range(0, 4096, 4))
    stmt = bucket_select("postgresql", result.dataset_id, result.version_id, ["source_id"], ranges)
    compiled = stmt.compile(dialect=store.engine.dialect)
    with store.engine.connect() as conn, ranges_first(conn):
        plan = "\n".join(
            r[0] for r in conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
        )
        got = conn.execute(stmt).scalars().all()
    assert "Index Scan using ix_examples_dataset_bucket" in plan, plan
    assert "Join Filter" not in plan, plan
    wanted = {f"e{i:06d}" for i in range(n) if (bucket_of(f"e{i:06d}") >> 4) % 4 == 0}
    assert sorted(got) == sorted(wanted) and len(got) == len(wanted)
