"""Reading versions: summaries, bucket digests and entries, manifests, filtered example pages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from datasync.errors import NotFoundError, ValidationError
from datasync.store import Store, queries
from datasync.sync import ChangeKind, CommitHeader, LeafTable, bucket_of, node_of
from tests.store.helpers import body, creates, op


def test_summary_of_a_dataset_without_versions_is_empty(store: Store) -> None:
    store.create_dataset("qa")
    summary = store.get_summary("qa", bits=2)
    assert (summary.version_id, summary.count) == (None, 0)
    assert summary.root == LeafTable({}).root()
    with pytest.raises(NotFoundError) as info:
        store.get_version("qa")
    assert info.value.code == "no_versions"


def test_old_versions_keep_their_summary(store: Store) -> None:
    v1 = store.commit("qa", creates(40))
    before = store.get_summary("qa", v1.version_id, bits=6)
    store.commit(
        "qa", [op(ChangeKind.DELETE, "ex-0003")], CommitHeader(base_version_id=v1.version_id)
    )
    assert store.get_summary("qa", v1.version_id, bits=6) == before
    head = store.get_summary("qa", bits=6)
    changed = node_of(bucket_of("ex-0003"), 6)
    assert [i for i in range(64) if head.digests[i] != before.digests[i]] == [changed]
    assert head.count == 39


def test_bucket_digests_and_entries_describe_the_manifest(store: Store) -> None:
    store.commit("qa", creates(300))
    manifest = {e.source_id: e.hash for e in store.iter_manifest("qa")}
    table = LeafTable.from_manifest(manifest)
    assert store.bucket_digests("qa", None, 10, [0, 5, 1023]) == table.digests(10, [0, 5, 1023])
    nodes = [3, 4, 200]
    entries = store.bucket_entries("qa", None, 8, nodes)
    expected = sorted(s for s in manifest if node_of(bucket_of(s), 8) in nodes)
    assert [e.source_id for e in entries] == expected
    assert all(
        manifest[e.source_id] == e.hash and bucket_of(e.source_id) == e.bucket for e in entries
    )


def test_bucket_entries_of_many_disjoint_ranges_come_from_one_query_and_match(
    store: Store,
) -> None:
    v1 = store.commit("qa", creates(1500))
    removed = [op(ChangeKind.DELETE, f"ex-{i:04d}") for i in range(0, 1500, 7)]
    store.commit("qa", removed, CommitHeader(base_version_id=v1.version_id))
    old = {e.source_id: e.hash for e in store.iter_manifest("qa", v1.version_id)}
    head = {e.source_id: e.hash for e in store.iter_manifest("qa")}
    leaves = sorted({bucket_of(s) for s in old})[::2]  # ~750 leaves, most ranges disjoint
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(store.engine, "before_cursor_execute", count)
    try:
        at_v1 = store.bucket_entries("qa", v1.version_id, 16, leaves)
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", count)
    assert sum("wanted" in s for s in statements) == 1
    assert len(queries.node_ranges(16, leaves)) > 200  # more than one old-style batch
    for manifest, entries in ((old, at_v1), (head, store.bucket_entries("qa", None, 16, leaves))):
        chosen = set(leaves)
        expected = sorted(s for s in manifest if bucket_of(s) in chosen)
        assert [e.source_id for e in entries] == expected
        assert all(manifest[e.source_id] == e.hash for e in entries)
    assert len(at_v1) > len(store.bucket_entries("qa", None, 16, leaves)) > 0


def test_bad_levels_and_nodes_are_refused(store: Store) -> None:
    store.commit("qa", creates(1))
    with pytest.raises(ValidationError):
        store.get_summary("qa", bits=17)
    with pytest.raises(ValidationError) as info:
        store.bucket_entries("qa", None, 4, [16])
    assert info.value.code == "invalid_nodes"


def test_versions_are_numbered_per_dataset(store: Store) -> None:
    a1 = store.commit("a", creates(1))
    b1 = store.commit("b", creates(1))
    a2 = store.commit("a", creates(1, start=1), CommitHeader(base_version_id=a1.version_id))
    assert (a1.version_id, b1.version_id, a2.version_id) == (1, 1, 2)
    assert (a2.base_version_id, store.get_dataset("a").head_version_id) == (1, 2)
    assert store.get_summary("b", 1).count == 1 and store.get_summary("a", 2).count == 2
    with pytest.raises(NotFoundError) as info:
        store.get_summary("b", a2.version_id)  # "a" has a version 2, "b" has not
    assert info.value.code == "version_not_found"


def test_iter_manifest_reads_in_batches_in_source_id_order(store: Store) -> None:
    store.commit("qa", creates(25))
    ids = [e.source_id for e in store.iter_manifest("qa", batch=4)]
    assert ids == sorted(ids) and len(ids) == 25


def test_examples_filter_by_metadata(store: Store) -> None:
    store.commit("qa", creates(9))
    page = store.iter_examples("qa", metadata={"split": "test"})
    assert [e.source_id for e in page.items] == ["ex-0000", "ex-0003", "ex-0006"]
    assert store.iter_examples("qa", metadata={"split": "test", "rev": 0}).items == page.items
    assert store.iter_examples("qa", metadata={"rev": "0"}).items == ()  # "0" is not 0
    assert store.iter_examples("qa", metadata={"split": "nope"}).items == ()


def test_examples_filter_applies_to_the_requested_version(store: Store) -> None:
    v1 = store.commit("qa", creates(3))
    patched = body(1) | {"metadata": {"split": "test", "rev": 1}}
    store.commit(
        "qa",
        [op(ChangeKind.PATCH, "ex-0001", patched)],
        CommitHeader(base_version_id=v1.version_id),
    )
    assert [e.source_id for e in store.iter_examples("qa", metadata={"split": "test"}).items] == [
        "ex-0000",
        "ex-0001",
    ]
    old = store.iter_examples("qa", v1.version_id, metadata={"split": "test"})
    assert [e.source_id for e in old.items] == ["ex-0000"]


def test_bad_metadata_filters_are_refused(store: Store) -> None:
    store.commit("qa", creates(1))
    with pytest.raises(ValidationError):
        store.iter_examples("qa", metadata={'a"b': 1})
    with pytest.raises(ValidationError):
        store.iter_examples("qa", metadata={"a": [1]})


def test_list_versions_newest_first_with_cursor(store: Store) -> None:
    head = None
    made = []
    for i in range(3):
        result = store.commit("qa", creates(1, start=i), CommitHeader(base_version_id=head))
        head = result.version_id
        made.append(head)
    first = store.list_versions("qa", limit=2)
    rest = store.list_versions("qa", limit=2, cursor=first.next_cursor)
    assert [v.id for v in (*first.items, *rest.items)] == made[::-1]
    assert [v.id for v in first.items] == [3, 2]
