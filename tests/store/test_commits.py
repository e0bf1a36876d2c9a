"""Commits: one version or nothing, checked hashes and ids, conflicts, no-ops, idempotency."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import orjson
import pytest

from datasync.canonical import content_hash, loads_strict
from datasync.errors import (
    CanonicalError,
    ConflictError,
    HashMismatchError,
    NotFoundError,
    ValidationError,
)
from datasync.store import Store
from datasync.store.commit import BATCH
from datasync.sync import (
    ChangeKind,
    CommitHeader,
    LeafTable,
    Mode,
    Operation,
    decode_operation_lines,
)
from tests.store.helpers import body, creates, op

C, P, D = ChangeKind.CREATE, ChangeKind.PATCH, ChangeKind.DELETE


def row_counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()
            for t in ("datasets", "versions", "examples", "revisions", "commits")
        }


def manifest(store: Store, name: str, version: int | None = None) -> dict[str, str]:
    return {e.source_id: e.hash for e in store.iter_manifest(name, version)}


def test_first_commit_creates_the_dataset_and_version_one(store: Store) -> None:
    result = store.commit("qa", creates(5), CommitHeader(message="first", tags={"ci": "1"}))
    assert (result.created, result.total, result.no_op, result.base_version_id) == (
        5,
        5,
        False,
        None,
    )
    version = store.get_version("qa")
    assert version.id == result.version_id == store.get_dataset("qa").head_version_id
    assert (version.id, version.parent_id, version.message, version.tags) == (
        1,
        None,
        "first",
        {"ci": "1"},
    )
    assert version.root == LeafTable.from_manifest(manifest(store, "qa")).root()


def test_commit_counts_created_patched_deleted_unchanged(store: Store) -> None:
    v1 = store.commit("qa", creates(6))
    ops = [op(P, "ex-0001", body(1, rev=1)), op(D, "ex-0002"), op(C, "ex-0100", body(100))]
    v2 = store.commit("qa", ops, CommitHeader(base_version_id=v1.version_id))
    assert (v2.created, v2.patched, v2.deleted, v2.unchanged, v2.total) == (1, 1, 1, 4, 6)
    info = store.get_version("qa")
    assert (info.created, info.patched, info.deleted, info.unchanged, info.total) == (1, 1, 1, 4, 6)
    assert info.parent_id == v1.version_id and info.id == 2


def test_stale_base_is_a_conflict_and_writes_nothing(store: Store) -> None:
    v1 = store.commit("qa", creates(2))
    store.commit("qa", [op(D, "ex-0000")], CommitHeader(base_version_id=v1.version_id))
    before = row_counts(store)
    with pytest.raises(ConflictError) as info:
        store.commit("qa", [op(D, "ex-0001")], CommitHeader(base_version_id=v1.version_id))
    assert info.value.details == {
        "base_version_id": v1.version_id,
        "head_version_id": store.get_dataset("qa").head_version_id,
    }
    assert row_counts(store) == before


def test_first_push_against_an_existing_head_is_a_conflict(store: Store) -> None:
    store.commit("qa", creates(1))
    with pytest.raises(ConflictError):
        store.commit("qa", creates(1, start=5))  # base None, but the dataset has a head


def test_hash_mismatch_is_refused_naming_the_source_id(store: Store) -> None:
    good = creates(3)
    bad = Operation(C, "ex-bad", "0" * 64, {"q": 1}, {}, {})
    with pytest.raises(HashMismatchError) as info:
        store.commit("qa", [*good, bad])
    assert "ex-bad" in info.value.message
    assert info.value.details["source_id"] == "ex-bad"
    assert info.value.details["expected"] == content_hash({"q": 1})
    assert row_counts(store)["versions"] == 0


def test_content_refused_by_hash_v1_names_the_source_id_and_path(store: Store) -> None:
    bad = Operation(C, "ex-nan", "0" * 64, {"x": float("nan")}, {}, {})
    with pytest.raises(CanonicalError) as info:
        store.commit("qa", [bad])
    assert info.value.details["source_id"] == "ex-nan"
    assert info.value.path == "$.input.x"


def test_no_changes_creates_no_version(store: Store) -> None:
    v1 = store.commit("qa", creates(3))
    same = [op(P, "ex-0001", body(1))]  # a patch to identical content
    again = store.commit("qa", same, CommitHeader(base_version_id=v1.version_id))
    empty = store.commit("qa", [], CommitHeader(base_version_id=v1.version_id))
    for result in (again, empty):
        assert result.no_op and result.version_id == v1.version_id
        assert (result.created, result.patched, result.deleted, result.unchanged) == (0, 0, 0, 3)
    assert len(store.list_versions("qa").items) == 1


def test_same_idempotency_key_returns_the_first_result(store: Store) -> None:
    header = CommitHeader(idempotency_key="push-1")
    first = store.commit("qa", creates(3), header)
    store.commit("qa", [op(D, "ex-0000")], CommitHeader(base_version_id=first.version_id))
    retry = store.commit("qa", creates(3), header)  # stale base, but a replay
    assert retry == first
    assert len(store.list_versions("qa").items) == 2


def test_idempotency_key_of_a_failed_commit_can_be_reused(store: Store) -> None:
    header = CommitHeader(idempotency_key="k")
    with pytest.raises(HashMismatchError):
        store.commit("qa", [Operation(C, "x", "0" * 64, {}, {}, {})], header)
    assert store.commit("qa", creates(1), header).created == 1


@pytest.mark.parametrize("fail_after", [1, BATCH + 5])
def test_commit_failing_half_way_leaves_the_store_unchanged(store: Store, fail_after: int) -> None:
    v1 = store.commit("qa", creates(3))
    before = row_counts(store)

    def stream() -> Iterator[Operation]:
        yield op(D, "ex-0000")
        yield from creates(fail_after, start=10)
        raise OSError("connection lost mid-stream")

    with pytest.raises(OSError, match="mid-stream"):
        store.commit("qa", stream(), CommitHeader(base_version_id=v1.version_id))
    assert row_counts(store) == before
    assert store.get_dataset("qa").head_version_id == v1.version_id
    assert set(manifest(store, "qa")) == {"ex-0000", "ex-0001", "ex-0002"}


def test_failing_first_push_does_not_create_the_dataset(store: Store) -> None:
    def stream() -> Iterator[Operation]:
        yield from creates(2)
        raise OSError("boom")

    with pytest.raises(OSError):
        store.commit("new", stream())
    with pytest.raises(NotFoundError):
        store.get_dataset("new")


def test_duplicate_unknown_and_existing_ids_are_all_named(store: Store) -> None:
    v1 = store.commit("qa", creates(2))
    ops = [
        op(C, "ex-0000", body(0, 1)),  # exists
        op(P, "ghost", body(9)),  # unknown
        op(D, "ghost2"),  # unknown
        op(C, "twice", body(1)),
        op(C, "twice", body(1)),  # duplicate
    ]
    with pytest.raises(ValidationError) as info:
        store.commit("qa", ops, CommitHeader(base_version_id=v1.version_id))
    err = info.value
    assert err.code == "duplicate_ids"
    assert err.details["duplicate_ids"] == ["twice"]
    assert err.details["unknown_ids"] == ["ghost", "ghost2"]
    assert err.details["existing_ids"] == ["ex-0000"]
    for sid in ("twice", "ghost", "ghost2", "ex-0000"):
        assert repr(sid) in err.message
    assert len(store.list_versions("qa").items) == 1


def test_append_mode_refuses_deletes(store: Store) -> None:
    v1 = store.commit("qa", creates(2))
    header = CommitHeader(base_version_id=v1.version_id, mode=Mode.APPEND)
    with pytest.raises(ValidationError) as info:
        store.commit("qa", [op(D, "ex-0000")], header)
    assert info.value.code == "delete_in_append"


def test_deleted_id_can_be_created_again(store: Store) -> None:
    v1 = store.commit("qa", creates(1))
    v2 = store.commit("qa", [op(D, "ex-0000")], CommitHeader(base_version_id=v1.version_id))
    v3 = store.commit(
        "qa", [op(C, "ex-0000", body(0, 7))], CommitHeader(base_version_id=v2.version_id)
    )
    assert v3.created == 1 and v2.total == 0
    assert manifest(store, "qa", v2.version_id) == {}
    page = store.iter_examples("qa")
    assert page.items[0].output == {"answer": "a0-7"}


def test_commit_to_an_unknown_dataset_id_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.commit(999, creates(1))
    with pytest.raises(NotFoundError):
        store.commit("qa", creates(1), create=False)


def test_postgresql_refuses_nul_characters_naming_the_example(store: Store) -> None:
    ops = [op(C, "nul", {"input": {"t": "a\x00b"}, "output": {}, "metadata": {}})]
    if store.dialect != "postgresql":
        assert store.commit("qa", ops).created == 1
        assert store.iter_examples("qa").items[0].input == {"t": "a\x00b"}
        return
    with pytest.raises(ValidationError) as info:
        store.commit("qa", ops)
    assert info.value.details == {"source_id": "nul"}


def test_a_database_refusal_in_a_later_batch_names_the_example_and_writes_nothing(
    store: Store,
) -> None:
    # Batches are written by a background thread while the next one is validated: a refusal
    # there must still surface, name the example and leave no trace.
    v1 = store.commit("qa", creates(2))
    before = row_counts(store)
    nul = op(C, "nul", {"input": {"t": "a\x00b"}, "output": {}, "metadata": {}})
    ops = [*creates(2 * BATCH + 3, start=10), nul, *creates(5, start=3 * BATCH)]
    header = CommitHeader(base_version_id=v1.version_id)
    if store.dialect != "postgresql":
        assert store.commit("qa", ops, header).created == 2 * BATCH + 9
        return
    with pytest.raises(ValidationError) as info:
        store.commit("qa", ops, header)
    assert (info.value.code, info.value.details) == ("unstorable_value", {"source_id": "nul"})
    assert row_counts(store) == before
    assert store.get_dataset("qa").head_version_id == v1.version_id


def test_a_hash_mismatch_after_written_batches_writes_nothing(store: Store) -> None:
    v1 = store.commit("qa", creates(2))
    before = row_counts(store)
    wrong = Operation(C, "wrong", "0" * 64, {"q": 1}, None, None)
    ops = [*creates(2 * BATCH + 3, start=10), wrong]
    with pytest.raises(HashMismatchError):
        store.commit("qa", ops, CommitHeader(base_version_id=v1.version_id))
    assert row_counts(store) == before
    # the examples' ids were reserved but never used: the next commit still works
    assert store.commit("qa", ops[:-1], CommitHeader(base_version_id=v1.version_id)).created == (
        2 * BATCH + 3
    )


def test_decoded_operations_are_stored_as_decoded_and_still_checked(store: Store) -> None:
    # The server's commit body: parts as JSON text, hashes recomputed by the decoder.
    text = b'{"q": "x", "n": -0.0, "f": 1e-7, "big": 1e21, "u": "\\u00e9\\ud83d\\ude00"}'
    value = loads_strict(text)
    right = content_hash(value, None, None)
    line = orjson.dumps({"op": "create", "source_id": "a", "hash": right, "input": value})
    decoded = decode_operation_lines([(2, line)])
    assert isinstance(decoded, list)
    assert store.commit("qa", decoded).created == 1
    assert manifest(store, "qa") == {"a": right}
    assert store.iter_examples("qa").items[0].input == value
    wrong = decode_operation_lines([(2, line.replace(right.encode(), b"1" * 64))])
    assert isinstance(wrong, list)
    with pytest.raises(HashMismatchError):
        store.commit("qb", wrong)


def test_large_commit_is_batched_and_read_back(store: Store) -> None:
    n = 3 * BATCH + 7
    result = store.commit("big", creates(n))
    assert result.created == n
    got = manifest(store, "big")
    assert len(got) == n
    assert store.get_summary("big").root == LeafTable.from_manifest(got).root()


def test_large_updates_in_many_batches_keep_counts_and_leaf_table_exact(store: Store) -> None:
    # Each batch looks up only its own ids, and only touched leaves are re-digested.
    n = 2 * BATCH + 10
    model = {o.source_id: o.hash for o in creates(n)}
    head = store.commit("qa", creates(n)).version_id
    ops = []
    for i in range(n):
        sid = f"ex-{i:04d}"
        if i % 5 == 0:
            ops.append(op(D, sid))
            del model[sid]
        elif i % 3 == 0:
            ops.append(op(P, sid, body(i, rev=1)))
            model[sid] = ops[-1].hash
    ops += creates(100, start=n)
    model.update((o.source_id, o.hash) for o in creates(100, start=n))
    v2 = store.commit("qa", ops, CommitHeader(base_version_id=head))
    assert (v2.created, v2.deleted, v2.total) == (100, len(range(0, n, 5)), len(model))
    assert v2.patched == sum(1 for i in range(n) if i % 5 and i % 3 == 0)
    assert v2.unchanged == n - v2.patched - v2.deleted
    assert manifest(store, "qa") == model
    assert store.get_version("qa").root == LeafTable.from_manifest(model).root()
    again = creates(n)[::5]  # the deleted ids come back, on their old example rows
    v3 = store.commit("qa", again, CommitHeader(base_version_id=v2.version_id))
    model.update((o.source_id, o.hash) for o in again)
    assert (v3.created, v3.total) == (len(again), len(model))
    assert store.get_version("qa").root == LeafTable.from_manifest(model).root()
    assert row_counts(store)["examples"] == n + 100


@pytest.mark.parametrize("first_push", [False, True])
def test_concurrent_commits_on_one_base_let_exactly_one_win(store: Store, first_push: bool) -> None:
    base = None if first_push else store.commit("qa", creates(2)).version_id
    barrier = threading.Barrier(4)
    outcomes: list[object] = []

    def push(i: int) -> None:
        barrier.wait()
        try:
            outcomes.append(
                store.commit(
                    "qa", creates(3, start=100 + 10 * i), CommitHeader(base_version_id=base)
                )
            )
        except ConflictError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=push, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    winners = [o for o in outcomes if not isinstance(o, ConflictError)]
    assert len(outcomes) == 4 and len(winners) == 1
    assert len(store.list_versions("qa").items) == (1 if first_push else 2)
    assert store.get_version("qa").total == (3 if first_push else 5)
