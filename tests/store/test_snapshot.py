"""Snapshot upserts: the server computes the diff, with the same checks and result shape."""

from __future__ import annotations

import pytest

from datasync.canonical import content_hash
from datasync.errors import ConflictError, HashMismatchError, ValidationError
from datasync.store import Store
from datasync.sync import CommitHeader, ExampleData, Mode
from tests.store.helpers import body


def examples(ids: range, rev: int = 0) -> list[ExampleData]:
    return [ExampleData(f"ex-{i}", **body(i, rev)) for i in ids]


def test_mirror_snapshot_creates_patches_and_deletes(store: Store) -> None:
    store.snapshot("qa", examples(range(5)))
    new = [*examples(range(1, 4)), *examples(range(4, 5), rev=1), *examples(range(9, 10))]
    result = store.snapshot("qa", new)
    assert (result.created, result.patched, result.deleted, result.unchanged) == (1, 1, 1, 3)
    assert result.total == 5
    assert {e.source_id for e in store.iter_manifest("qa")} == {f"ex-{i}" for i in (1, 2, 3, 4, 9)}


def test_append_snapshot_keeps_missing_ids(store: Store) -> None:
    store.snapshot("qa", examples(range(3)))
    result = store.snapshot("qa", examples(range(5, 6)), CommitHeader(mode=Mode.APPEND))
    assert (result.created, result.deleted, result.unchanged, result.total) == (1, 0, 3, 4)


def test_repeating_a_snapshot_is_a_no_op(store: Store) -> None:
    first = store.snapshot("qa", examples(range(3)))
    again = store.snapshot("qa", examples(range(3)))
    assert again.no_op and again.version_id == first.version_id
    assert len(store.list_versions("qa").items) == 1


def test_snapshot_checks_given_hashes_and_duplicates(store: Store) -> None:
    wrong = ExampleData("ex-x", {"q": 1}, hash="f" * 64)
    with pytest.raises(HashMismatchError) as info:
        store.snapshot("qa", [wrong])
    assert info.value.details["source_id"] == "ex-x"
    right = ExampleData("ex-x", {"q": 1}, hash=content_hash({"q": 1}))
    with pytest.raises(ValidationError) as dup:
        store.snapshot("qa", [right, right])
    assert dup.value.code == "duplicate_ids"
    assert store.list_datasets().items == ()


def test_snapshot_base_is_checked_only_when_given(store: Store) -> None:
    v1 = store.snapshot("qa", examples(range(2)))
    store.snapshot("qa", examples(range(3)))
    with pytest.raises(ConflictError):
        store.snapshot("qa", examples(range(4)), CommitHeader(base_version_id=v1.version_id))
