"""client.datasets.diff_versions through the embedded store and a live server, on SQLite and
PostgreSQL: the changes between two versions, field by field, paged, in both directions,
and equal to a diff of the two versions read back whole."""

from __future__ import annotations

import random
from typing import Any

import pytest

from datasync.client import Client
from datasync.errors import NotFoundError, ValidationError
from datasync.store import Store
from datasync.sync import ChangeKind, FieldChange, content_of, field_changes
from tests.client.conftest import rows


def _whole(store: Store, name: str, version: int) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        page = store.iter_examples(name, version, limit=1000, cursor=cursor)
        out.update({e.source_id: content_of(e.input, e.output, e.metadata) for e in page.items})
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


def test_diff_lists_created_deleted_and_patched_fields(client: Client) -> None:
    data = rows(6)
    v1 = client.datasets.upsert_dataset("qa", data)
    data[2]["output"] = {"answer": "five"}
    data[2]["metadata"] = {"split": "test", "reviewed": True}
    del data[4]
    data.append({"id": "new", "input": {"question": "<script>alert(1)</script>"}})
    v2 = client.datasets.upsert_dataset("qa", data)

    diff = client.datasets.diff_versions("qa", v1.version_id, v2.version_id)

    assert diff.summary.to_dict() == {"created": 1, "patched": 1, "deleted": 1, "unchanged": 4}
    assert (diff.a.id, diff.b.id) == (v1.version_id, v2.version_id)
    changes = list(diff)
    assert [(c.source_id, c.kind) for c in changes] == [
        ("e00002", ChangeKind.PATCH),
        ("e00004", ChangeKind.DELETE),
        ("new", ChangeKind.CREATE),
    ]
    patched, deleted, created = changes
    assert patched.fields == (
        FieldChange("$.output.answer", "replace", "4", "five"),
        FieldChange("$.metadata.reviewed", "add", None, True),
        FieldChange("$.metadata.split", "replace", "train", "test"),
    )
    assert deleted.content == {
        "input": {"question": "what is 4 + 4?"},
        "output": {"answer": "8"},
        "metadata": {"split": "test"},
    }
    assert created.content == {
        "input": {"question": "<script>alert(1)</script>"},
        "output": {},
        "metadata": {},
    }
    assert created.old_hash is None and deleted.new_hash is None
    assert patched.old_hash != patched.new_hash


def test_diff_backwards_swaps_created_and_deleted(client: Client) -> None:
    data = rows(3)
    v1 = client.datasets.upsert_dataset("qa", data)
    v2 = client.datasets.upsert_dataset("qa", data[1:] + rows(1, start=9))
    backwards = client.datasets.diff_versions("qa", v2.version_id, v1.version_id)
    assert backwards.ids(ChangeKind.CREATE) == ["e00000"]
    assert backwards.ids(ChangeKind.DELETE) == ["e00009"]
    assert backwards.summary.unchanged == 2


def test_head_and_equal_versions(client: Client) -> None:
    v1 = client.datasets.upsert_dataset("qa", rows(3))
    v2 = client.datasets.upsert_dataset("qa", rows(3, tag="!"))
    head = client.datasets.diff_versions("qa", v1.version_id, None)
    assert head.b.id == v2.version_id and head.summary.patched == 3
    same = client.datasets.diff_versions("qa", v2.version_id, v2.version_id)
    assert same.is_empty and list(same) == [] and same.summary.unchanged == 3


def test_an_example_changed_and_changed_back_is_not_listed(client: Client) -> None:
    data = rows(3)
    v1 = client.datasets.upsert_dataset("qa", data)
    client.datasets.upsert_dataset("qa", data[:2] + rows(1, start=2, tag="?") + rows(1, start=7))
    v3 = client.datasets.upsert_dataset("qa", data)
    diff = client.datasets.diff_versions("qa", v1.version_id, v3.version_id)
    assert diff.is_empty and list(diff) == []


def test_large_diffs_are_paged_by_source_id(client: Client) -> None:
    data = rows(120)
    v1 = client.datasets.upsert_dataset("qa", data)
    v2 = client.datasets.upsert_dataset("qa", rows(120, tag="+")[::2] + data[1::2])
    diff = client.datasets.diff_versions("qa", v1.version_id, v2.version_id, page_size=7)
    ids = [c.source_id for c in diff]
    assert ids == [f"e{i:05d}" for i in range(0, 120, 2)]
    assert diff.summary.patched == 60


def test_unknown_versions_and_bad_pages_are_typed_errors(client: Client) -> None:
    v1 = client.datasets.upsert_dataset("qa", rows(2))
    with pytest.raises(NotFoundError) as missing:
        client.datasets.diff_versions("qa", v1.version_id, 999)
    assert missing.value.code == "version_not_found"
    with pytest.raises(NotFoundError) as no_dataset:
        client.datasets.diff_versions("nope", 1, 2)
    assert no_dataset.value.code == "dataset_not_found"
    with pytest.raises(ValidationError):
        client.datasets.diff_versions("qa", v1.version_id, None, page_size=0)


def test_diff_equals_the_diff_of_the_versions_read_back_whole(client: Client, store: Store) -> None:
    rng = random.Random(18)
    state = {f"id{i:03d}": {"q": i, "tags": ["x"] * (i % 3)} for i in range(80)}
    versions = []
    for _round in range(4):
        for key in rng.sample(sorted(state), 15):
            state[key] = {"q": rng.randint(0, 3), "tags": ["y"] * rng.randint(0, 2)}
        for key in rng.sample(sorted(state), 5):
            del state[key]
        for _ in range(5):
            state[f"new{rng.randint(0, 999):03d}"] = {"q": -1}
        data = [{"id": k, "input": v} for k, v in state.items()]
        versions.append(client.datasets.upsert_dataset("qa", data).version_id)
    for a, b in [
        (versions[0], versions[3]),
        (versions[2], versions[1]),
        (versions[1], versions[2]),
    ]:
        old, new = _whole(store, "qa", a), _whole(store, "qa", b)
        expected = {
            sid: field_changes(old[sid], new[sid])
            for sid in sorted(old.keys() & new.keys())
            if old[sid] != new[sid]
        }
        diff = client.datasets.diff_versions("qa", a, b, page_size=11)
        got = list(diff)
        assert {c.source_id: list(c.fields) for c in got if c.kind is ChangeKind.PATCH} == expected
        assert diff.ids(ChangeKind.CREATE) == sorted(new.keys() - old.keys())
        assert diff.ids(ChangeKind.DELETE) == sorted(old.keys() - new.keys())
        assert diff.summary.unchanged == len(new) - len(expected) - len(new.keys() - old.keys())
