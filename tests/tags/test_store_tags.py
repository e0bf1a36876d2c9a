"""Tags in the store: limits, add/remove/replace, filters (AND, existence), literal matching,
history; on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from datasync.errors import NotFoundError, TagError, UsageError
from datasync.store import Store
from datasync.sync import CommitHeader
from tests.store.helpers import creates


def _version(store: Store, name: str, n: int = 2, tags: dict[str, str] | None = None) -> int:
    head = store.get_dataset(name).head_version_id if _exists(store, name) else None
    start = 0 if head is None else store.get_version(name).total
    result = store.commit(name, creates(n, start), CommitHeader(head, tags=tags or {}))
    assert result.version_id is not None
    return result.version_id


def _exists(store: Store, name: str) -> bool:
    try:
        store.get_dataset(name)
    except NotFoundError:
        return False
    return True


def _history_rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM tag_changes")).scalar_one())


@pytest.mark.parametrize(
    ("tags", "code", "named"),
    [
        ({"Env": "prod"}, "invalid_tag", "Env"),
        ({"bad key": "v"}, "invalid_tag", "bad key"),
        ({"k" * 65: "v"}, "invalid_tag", "k" * 65),
        ({"": "v"}, "invalid_tag", "''"),
        ({"env": "v" * 257}, "invalid_tag", "env"),
        ({"env": "two\nlines"}, "invalid_tag", "env"),
        ({"env": 3}, "invalid_tag", "env"),
        ({"datasync.owner": "me"}, "reserved_tag", "datasync.owner"),
        ({f"k{i}": "v" for i in range(21)}, "too_many_tags", "21 tags"),
    ],
)
def test_tags_beyond_the_limits_are_refused_naming_the_tag_and_nothing_changes(
    store: Store, tags: dict[str, Any], code: str, named: str
) -> None:
    store.create_dataset("qa", tags={"team": "ml"})
    with pytest.raises(TagError) as info:
        store.update_tags("dataset", "qa", add=tags)
    assert info.value.code == code
    assert named in str(info.value)
    assert store.get_tags("dataset", "qa") == {"team": "ml"}
    assert _history_rows(store) == 0


def test_limits_at_their_edges_are_accepted(store: Store) -> None:
    store.create_dataset("qa")
    edge = {f"k{i}": "v" for i in range(19)} | {"k" * 64: "é" * 256}
    assert store.update_tags("dataset", "qa", replace=edge) == edge


def test_adding_past_twenty_tags_in_total_is_refused(store: Store) -> None:
    store.create_dataset("qa", tags={f"k{i}": "v" for i in range(20)})
    with pytest.raises(TagError) as info:
        store.update_tags("dataset", "qa", add={"one": "more"})
    assert info.value.code == "too_many_tags"
    # updating an existing key or adding after a removal stays within the limit
    store.update_tags("dataset", "qa", add={"one": "more"}, remove=["k0"])
    assert len(store.get_tags("dataset", "qa")) == 20


def test_add_updates_and_remove_drops_keys(store: Store) -> None:
    store.create_dataset("qa", tags={"env": "dev", "team": "ml"})
    assert store.update_tags("dataset", "qa", add={"env": "prod", "batch": "7"}) == {
        "env": "prod",
        "team": "ml",
        "batch": "7",
    }
    assert store.update_tags("dataset", "qa", remove=["team", "absent"]) == {
        "env": "prod",
        "batch": "7",
    }
    assert store.get_dataset("qa").tags == {"env": "prod", "batch": "7"}


def test_a_key_both_added_and_removed_is_refused(store: Store) -> None:
    store.create_dataset("qa")
    with pytest.raises(TagError, match="'env'"):
        store.update_tags("dataset", "qa", add={"env": "x"}, remove=["env"])


def test_replace_sets_the_whole_map_and_a_retry_changes_nothing(store: Store) -> None:
    store.create_dataset("qa", tags={"env": "dev", "team": "ml"})
    wanted = {"env": "prod", "owner": "ana"}
    assert store.update_tags("dataset", "qa", replace=wanted) == wanted
    rows = _history_rows(store)
    assert store.update_tags("dataset", "qa", replace=wanted) == wanted
    assert _history_rows(store) == rows == 1
    assert store.get_tags("dataset", "qa") == wanted
    with pytest.raises(UsageError):
        store.update_tags("dataset", "qa", replace={}, add={"a": "b"})


def test_version_tags_change_only_that_version(store: Store) -> None:
    first = _version(store, "qa", tags={"release": "2026-10"})
    second = _version(store, "qa")
    store.update_tags("version", second, add={"release": "2026-11"}, dataset="qa")
    assert store.get_version("qa", first).tags == {"release": "2026-10"}
    assert store.get_version("qa", second).tags == {"release": "2026-11"}
    assert store.get_dataset("qa").tags == {}


def test_a_version_of_another_dataset_or_a_missing_object_is_not_found(store: Store) -> None:
    other = _version(store, "other")
    store.create_dataset("qa")
    with pytest.raises(NotFoundError) as info:
        store.update_tags("version", other, add={"a": "b"}, dataset="qa")
    assert info.value.code == "version_not_found"
    with pytest.raises(NotFoundError):
        store.get_tags("version", 999_999, dataset="other")
    with pytest.raises(UsageError) as usage:  # a version number means nothing without a dataset
        store.get_tags("version", other)
    assert usage.value.code == "bad_ref"
    with pytest.raises(NotFoundError):
        store.update_tags("dataset", "nope", add={"a": "b"})
    with pytest.raises(UsageError):
        store.get_tags("widget", 1)
    assert store.get_version("other", other).tags == {}


def _names(store: Store, tags: dict[str, str | None]) -> list[str]:
    return [d.name for d in store.list_datasets(tags=tags).items]


def test_dataset_filters_are_and_and_none_means_has_the_key(store: Store) -> None:
    store.create_dataset("a", tags={"env": "prod", "team": "ml"})
    store.create_dataset("b", tags={"env": "prod", "team": "web", "batch": "1"})
    store.create_dataset("c", tags={"env": "dev", "batch": "2"})
    store.create_dataset("d")
    assert _names(store, {"env": "prod"}) == ["a", "b"]
    assert _names(store, {"env": "prod", "team": "ml"}) == ["a"]
    assert _names(store, {"batch": None}) == ["b", "c"]
    assert _names(store, {"env": "prod", "batch": None}) == ["b"]
    assert _names(store, {"env": "staging"}) == []
    assert _names(store, {}) == ["a", "b", "c", "d"]


def test_filters_page_with_a_cursor(store: Store) -> None:
    for i in range(5):
        store.create_dataset(f"d{i}", tags={"keep": "yes" if i % 2 == 0 else "no"})
    first = store.list_datasets(limit=2, tags={"keep": "yes"})
    second = store.list_datasets(limit=2, cursor=first.next_cursor, tags={"keep": "yes"})
    assert [d.name for d in first.items + second.items] == ["d0", "d2", "d4"]


TRICKY = [
    "it's",
    'say "hi"',
    "100%",
    "a_b",
    "%",
    "_",
    "x' OR '1'='1",
    "'; DROP TABLE datasets; --",
    '$."env"',
    "\\",
]


@pytest.mark.parametrize("value", TRICKY)
def test_filter_values_match_literally(store: Store, value: str) -> None:
    store.create_dataset("exact", tags={"note": value})
    # near misses that LIKE, quoting or injection would confuse with the value
    store.create_dataset("other", tags={"note": value.replace("%", "x").replace("_", "y") + "z"})
    store.create_dataset("plain", tags={"note": "abc"})
    assert _names(store, {"note": value}) == ["exact"]
    assert {d.name for d in store.list_datasets().items} == {"exact", "other", "plain"}


def test_a_filter_key_outside_the_charset_is_refused(store: Store) -> None:
    with pytest.raises(TagError) as info:
        store.list_datasets(tags={"env') OR 1=1 --": "x"})
    assert "env') OR 1=1 --" in str(info.value)
    with pytest.raises(TagError):
        store.list_datasets(tags={"env": 3})  # type: ignore[dict-item]


def test_a_number_looking_value_does_not_match_a_different_json_type(store: Store) -> None:
    store.create_dataset("qa", tags={"batch": "7"})
    assert _names(store, {"batch": "7"}) == ["qa"]
    assert _names(store, {"batch": "07"}) == []


def test_versions_filter_by_tags_newest_first(store: Store) -> None:
    v1 = _version(store, "qa", tags={"release": "2026-10", "stage": "rc"})
    v2 = _version(store, "qa", tags={"release": "2026-11"})
    v3 = _version(store, "qa", tags={"release": "2026-11", "stage": "final"})
    ids = [v.id for v in store.list_versions("qa", tags={"release": "2026-11"}).items]
    assert ids == [v3, v2]
    assert [v.id for v in store.list_versions("qa", tags={"stage": None}).items] == [v3, v1]
    assert store.list_versions("qa", tags={"release": "2026-12"}).items == ()


def test_history_records_each_change_with_time_newest_first(store: Store) -> None:
    store.create_dataset("qa", tags={"team": "ml"})
    version = _version(store, "qa")
    store.update_tags("dataset", "qa", add={"env": "prod"})
    store.update_tags("dataset", "qa", remove=["team"])
    store.update_tags("dataset", "qa", remove=["team"])  # nothing to remove: no record
    store.update_tags("version", version, add={"release": "2026-11"}, dataset="qa")
    store.update_tags("dataset", "qa", replace={"env": "dev", "owner": "ana"})
    changes = store.tag_history("qa").items
    assert [(c.kind, c.text()) for c in changes] == [
        ("dataset", "+env=dev +owner=ana"),
        ("version", "+release=2026-11"),
        ("dataset", "-team"),
        ("dataset", "+env=prod"),
    ]
    assert changes[1].object_id == version
    assert all(c.changed_at.tzinfo is not None for c in changes)
    assert changes[0].changed_at >= changes[-1].changed_at
    only_version = store.tag_history("qa", kind="version").items
    assert [c.text() for c in only_version] == ["+release=2026-11"]
    page = store.tag_history("qa", limit=3)
    rest = store.tag_history("qa", limit=3, cursor=page.next_cursor)
    assert [c.id for c in page.items + rest.items] == [c.id for c in changes]


def test_history_goes_with_its_dataset(store: Store) -> None:
    store.create_dataset("qa")
    store.update_tags("dataset", "qa", add={"env": "prod"})
    store.delete_dataset("qa")
    assert _history_rows(store) == 0
