"""Tags from Python, embedded and through a live server: Dataset.add_tags/remove_tags/tags,
version tags, filters on list_datasets/list_versions, a version fetched by tag, history,
dataset tags at push, metadata filters on examples."""

from __future__ import annotations

import pytest

from datasync.client import Client
from datasync.errors import NotFoundError, TagError, UsageError
from datasync.store import Store
from tests.client.conftest import rows


def test_dataset_add_remove_and_read_tags(client: Client, store: Store) -> None:
    dataset = client.datasets.upsert_dataset("qa", rows(3))
    assert dataset.tags == {}
    assert dataset.add_tags({"env": "prod", "team": "ml"}) == {"env": "prod", "team": "ml"}
    assert dataset.remove_tags(["team"]) == {"env": "prod"}
    assert dataset.tags == {"env": "prod"}
    assert store.get_dataset("qa").tags == {"env": "prod"}
    assert dataset.replace_tags({"owner": "ana"}) == dataset.replace_tags({"owner": "ana"})
    assert store.get_dataset("qa").tags == {"owner": "ana"}


def test_bad_tags_raise_tag_error_naming_the_tag_and_change_nothing(
    client: Client, store: Store
) -> None:
    dataset = client.datasets.upsert_dataset("qa", rows(2))
    dataset.add_tags({"env": "prod"})
    for bad in ({"Env": "x"}, {"datasync.owner": "me"}, {"env": "a\nb"}):
        with pytest.raises(TagError) as info:
            dataset.add_tags(bad)
        assert next(iter(bad)) in str(info.value)
    with pytest.raises(TagError) as too_many:
        dataset.add_tags({f"k{i}": "v" for i in range(20)})  # 21 with env
    assert too_many.value.code == "too_many_tags"
    assert store.get_dataset("qa").tags == {"env": "prod"}


def test_version_tags_and_fetching_a_version_by_tag(client: Client, store: Store) -> None:
    first = client.datasets.upsert_dataset("qa", rows(3), tags={"release": "2026-10"})
    second = client.datasets.upsert_dataset("qa", rows(4))
    second.add_version_tags({"release": "2026-11"})
    assert second.version_tags == {"release": "2026-11"}
    assert store.get_version("qa", second.version_id).tags == {"release": "2026-11"}
    client.datasets.add_tags("qa", {"stage": "rc"}, version_id=first.version_id)
    assert client.datasets.get_tags("qa", version_id=first.version_id) == {
        "release": "2026-10",
        "stage": "rc",
    }
    by_tag = client.datasets.get_dataset("qa", version_tags={"release": "2026-10"})
    assert (by_tag.version_id, by_tag.total) == (first.version_id, 3)
    assert [e.source_id for e in by_tag.examples()] == [f"e{i:05d}" for i in range(3)]
    with pytest.raises(NotFoundError) as info:
        client.datasets.get_dataset("qa", version_tags={"release": "2027-01"})
    assert info.value.code == "no_tagged_version"
    with pytest.raises(UsageError):
        client.datasets.get_dataset("qa", 1, version_tags={"release": "2026-10"})
    tagged = client.datasets.list_versions("qa", tags={"release": None})
    assert [v.id for v in tagged] == [second.version_id, first.version_id]
    assert [v.id for v in client.datasets.list_versions("qa", tags={"stage": "rc"})] == [
        first.version_id
    ]


def test_list_datasets_filters_with_and_and_key_presence(client: Client) -> None:
    for name, tags in [
        ("a", {"env": "prod", "batch": "1"}),
        ("b", {"env": "prod"}),
        ("c", {"env": "dev", "batch": "2"}),
    ]:
        client.datasets.upsert_dataset(name, rows(1), dataset_tags=tags)

    def names(tags: dict[str, str | None]) -> list[str]:
        return [d.name for d in client.datasets.list_datasets(tags=tags)]

    assert names({"env": "prod", "batch": None}) == ["a"]
    assert names({"env": "prod"}) == ["a", "b"]
    assert names({"batch": None}) == ["a", "c"]
    assert names({"env": "it's 100%_"}) == []
    with pytest.raises(TagError):
        names({"Bad Key": None})


def test_dataset_tags_at_push_are_added_also_on_a_no_op_and_checked_first(
    client: Client, store: Store
) -> None:
    client.datasets.upsert_dataset("qa", rows(2), dataset_tags={"env": "dev"})
    again = client.datasets.upsert_dataset("qa", rows(2), dataset_tags={"team": "ml"})
    assert again.no_op
    assert store.get_dataset("qa").tags == {"env": "dev", "team": "ml"}
    head = store.get_dataset("qa").head_version_id
    with pytest.raises(TagError):
        client.datasets.upsert_dataset("qa", rows(3), dataset_tags={"datasync.x": "1"})
    assert store.get_dataset("qa").head_version_id == head  # nothing was pushed


def test_tag_history_lists_changes_of_dataset_and_versions(client: Client) -> None:
    dataset = client.datasets.upsert_dataset("qa", rows(1))
    dataset.add_tags({"env": "prod", "team": "ml"})
    dataset.remove_tags(["team"])
    dataset.add_version_tags({"release": "r1"})
    history = client.datasets.tag_history("qa")
    assert [(c.kind, c.text()) for c in history] == [
        ("version", "+release=r1"),
        ("dataset", "-team"),
        ("dataset", "+env=prod +team=ml"),
    ]
    assert [c.text() for c in client.datasets.tag_history("qa", kind="dataset")] == [
        "-team",
        "+env=prod +team=ml",
    ]


def test_examples_where_filters_by_metadata_literally(client: Client) -> None:
    data = [
        {"id": "a", "input": {"q": 1}, "metadata": {"split": "test", "note": "50%_off"}},
        {"id": "b", "input": {"q": 2}, "metadata": {"split": "train", "note": "50X off"}},
        {"id": "c", "input": {"q": 3}, "metadata": {"split": "test", "note": "it's"}},
    ]
    dataset = client.datasets.upsert_dataset("qa", data)
    assert [e.source_id for e in dataset.examples(where={"split": "test"})] == ["a", "c"]
    assert [e.source_id for e in dataset.examples(where={"note": "50%_off"})] == ["a"]
    assert [e.source_id for e in dataset.examples(where={"split": "test", "note": "it's"})] == ["c"]
    assert list(dataset.examples(where={"note": "x' OR '1'='1"})) == []
