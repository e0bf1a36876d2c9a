"""Experiments carry tags through the same mechanism: change, history, filters; over HTTP."""

from __future__ import annotations

import httpx
import pytest

from datasync.errors import NotFoundError, TagError
from datasync.store import Store
from tests.store.helpers import creates


def _experiment(store: Store, name: str, tags: dict[str, str] | None = None) -> int:
    if not store.list_datasets().items:  # the first experiment needs a dataset version
        store.commit("qa", creates(2))
    return store.create_experiment("qa", None, name, "fp-1", tags=tags).id


def test_experiment_tags_change_with_history_and_filter(store: Store) -> None:
    first = _experiment(store, "run-a", {"model": "small"})
    second = _experiment(store, "run-b", {"model": "large"})
    store.update_tags("experiment", second, add={"baseline": "yes"}, dataset="qa")
    store.update_tags("experiment", first, remove=["model"])
    assert store.get_tags("experiment", second) == {"model": "large", "baseline": "yes"}
    assert store.get_tags("experiment", first) == {}
    history = store.tag_history("qa", kind="experiment").items
    assert [(c.object_id, c.text()) for c in history] == [
        (first, "-model"),
        (second, "+baseline=yes"),
    ]
    listed = store.list_experiments(dataset="qa", tags={"baseline": None})
    assert [e.id for e in listed.items] == [second]
    with pytest.raises(TagError):
        store.update_tags("experiment", first, add={"datasync.run": "x"})
    with pytest.raises(NotFoundError):
        store.update_tags("experiment", 999_999, add={"a": "b"})


def test_experiment_tag_routes(api: httpx.Client, store: Store) -> None:
    experiment = _experiment(store, "run-a")
    path = f"/v1/experiments/{experiment}/tags"
    assert api.patch(path, json={"add": {"model": "small"}}).json() == {"tags": {"model": "small"}}
    assert api.put(path, json={"tags": {"model": "large"}}).json() == {"tags": {"model": "large"}}
    assert api.get(path).json() == {"tags": {"model": "large"}}
    missing = api.get("/v1/experiments/999999/tags")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "experiment_not_found")
