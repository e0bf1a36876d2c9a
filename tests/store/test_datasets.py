"""Datasets: create, get, list (paged), delete; names and tags are checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from datasync.errors import ConflictError, NotFoundError, TagError, UsageError, ValidationError
from datasync.store import Store, default_store_url, normalize_url
from datasync.sync import ExampleData
from tests.store.helpers import creates


def test_create_then_get_by_name_and_by_id(store: Store) -> None:
    made = store.create_dataset("qa", "questions", {"team": "ml"})
    assert made.head_version_id is None
    assert store.get_dataset("qa") == made
    assert store.get_dataset(made.id) == made
    assert store.get_dataset(str(made.id)) == made
    assert made.tags == {"team": "ml"} and made.description == "questions"
    assert made.created_at.tzinfo is not None


def test_creating_an_existing_name_is_a_conflict(store: Store) -> None:
    store.create_dataset("qa")
    with pytest.raises(ConflictError) as info:
        store.create_dataset("qa")
    assert info.value.code == "dataset_exists"


def test_bad_names_and_tags_are_refused_and_nothing_is_created(store: Store) -> None:
    with pytest.raises(ValidationError):
        store.create_dataset("9lives")
    with pytest.raises(TagError):
        store.create_dataset("ok", tags={"datasync:x": "1"})
    assert store.list_datasets().items == ()


def test_list_datasets_pages_with_a_cursor(store: Store) -> None:
    names = [f"d{i}" for i in range(5)]
    for name in names:
        store.create_dataset(name)
    first = store.list_datasets(limit=2)
    second = store.list_datasets(limit=2, cursor=first.next_cursor)
    third = store.list_datasets(limit=2, cursor=second.next_cursor)
    seen = [d.name for page in (first, second, third) for d in page.items]
    assert seen == names
    assert third.next_cursor is None


def test_bad_cursor_and_limit_are_refused(store: Store) -> None:
    with pytest.raises(ValidationError) as info:
        store.list_datasets(cursor="!!")
    assert info.value.code == "invalid_cursor"
    with pytest.raises(ValidationError):
        store.list_datasets(limit=0)


def test_delete_dataset_removes_versions_and_examples(store: Store) -> None:
    store.commit("qa", creates(3))
    store.delete_dataset("qa")
    with pytest.raises(NotFoundError):
        store.get_dataset("qa")
    with store.engine.connect() as conn:
        for table in ("versions", "examples", "revisions"):
            assert conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() == 0


def test_delete_reports_what_it_removed_and_a_new_dataset_starts_afresh(store: Store) -> None:
    store.snapshot("qa", [ExampleData(f"e{i}", {"i": i}) for i in range(3)])
    store.snapshot("qa", [ExampleData(f"e{i}", {"i": i}) for i in range(5)])
    deleted = store.delete_dataset("qa")
    assert (deleted.name, deleted.versions, deleted.examples, deleted.experiments) == (
        "qa",
        2,
        5,
        0,
    )
    store.commit("qa", creates(1))  # the name is free again; nothing of the old one shows
    assert store.get_version("qa").total == 1 and len(store.list_versions("qa").items) == 1


def test_rename_keeps_id_versions_tags_and_history(store: Store) -> None:
    first = store.commit("qa", creates(3))
    store.update_tags("dataset", "qa", add={"team": "ml"})
    store.update_tags("version", first.version_id, dataset="qa", add={"release": "r1"})
    before = store.get_dataset("qa")
    renamed = store.rename_dataset("qa", "qa.v2")
    assert (renamed.id, renamed.name, renamed.tags) == (before.id, "qa.v2", {"team": "ml"})
    assert renamed.head_version_id == before.head_version_id
    assert store.get_version("qa.v2").tags == {"release": "r1"}
    assert len(store.tag_history("qa.v2").items) == 2
    with pytest.raises(NotFoundError):
        store.get_dataset("qa")
    assert store.rename_dataset("qa.v2", "qa.v2") == renamed  # same name: nothing to do


def test_rename_refuses_a_taken_or_bad_name_and_changes_nothing(store: Store) -> None:
    store.create_dataset("qa")
    store.create_dataset("other")
    with pytest.raises(ConflictError) as taken:
        store.rename_dataset("qa", "other")
    assert taken.value.code == "dataset_exists"
    with pytest.raises(ValidationError):
        store.rename_dataset("qa", "9lives")
    with pytest.raises(NotFoundError):
        store.rename_dataset("nope", "fine")
    assert [d.name for d in store.list_datasets().items] == ["qa", "other"]


def test_unknown_dataset_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError) as info:
        store.get_dataset("nope")
    assert info.value.code == "dataset_not_found"
    with pytest.raises(NotFoundError):
        store.delete_dataset(12345)
    with pytest.raises(NotFoundError):
        store.list_versions("nope")


def test_default_store_location_and_override(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DATASYNC_STORE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_store_url() == f"sqlite:///{tmp_path}/datasync/store.sqlite"
    monkeypatch.setenv("DATASYNC_STORE", str(tmp_path / "x.db"))
    assert default_store_url() == f"sqlite:///{tmp_path}/x.db"
    monkeypatch.setenv("DATASYNC_STORE", "postgresql://u@h/db")
    assert default_store_url() == "postgresql+psycopg://u@h/db"


def test_unsupported_database_urls_are_refused() -> None:
    with pytest.raises(UsageError):
        normalize_url("mysql://x/y")
