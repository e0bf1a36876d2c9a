"""delete_dataset and rename_dataset through the embedded store and a live server, on SQLite
and PostgreSQL: what is removed, what follows a rename, what is refused."""

from __future__ import annotations

import pytest

from datasync import run_experiment
from datasync.client import Client
from datasync.errors import ConflictError, NotFoundError, ValidationError
from datasync.store import Store
from tests.client.conftest import rows


def test_delete_removes_every_version_and_reports_counts(client: Client, store: Store) -> None:
    client.datasets.upsert_dataset("qa", rows(4))
    client.datasets.upsert_dataset("qa", rows(6))
    deleted = client.datasets.delete_dataset("qa")
    assert (deleted.name, deleted.versions, deleted.examples, deleted.experiments) == (
        "qa",
        2,
        6,
        0,
    )
    assert store.list_datasets().items == ()
    with pytest.raises(NotFoundError):
        client.datasets.delete_dataset("qa")


def test_delete_refuses_a_dataset_experiments_use_unless_forced(
    client: Client, store: Store
) -> None:
    v1 = client.datasets.upsert_dataset("qa", rows(3))
    experiment = run_experiment(v1, lambda input: input, [], client=client)
    with pytest.raises(ConflictError) as refused:
        client.datasets.delete_dataset("qa")
    assert refused.value.code == "dataset_in_use"
    assert store.get_version("qa").total == 3
    assert client.datasets.delete_dataset("qa", force=True).experiments == 1
    with pytest.raises(NotFoundError):
        store.get_experiment(experiment.id)


def test_rename_keeps_versions_tags_and_experiments(client: Client, store: Store) -> None:
    v1 = client.datasets.upsert_dataset("qa", rows(3), tags={"release": "r1"})
    v1.add_tags({"team": "ml"})
    experiment = run_experiment(v1, lambda input: input, [], client=client)
    renamed = client.datasets.rename_dataset("qa", "qa-2026")
    assert (renamed.id, renamed.name, renamed.version_id) == (v1.id, "qa-2026", v1.version_id)
    assert renamed.tags == {"team": "ml"}
    assert client.datasets.get_dataset("qa-2026", version_tags={"release": "r1"}).version_id == (
        v1.version_id
    )
    assert store.get_experiment(experiment.id).dataset_id == v1.id
    again = client.datasets.upsert_dataset("qa-2026", rows(3))
    assert again.no_op and again.id == v1.id
    with pytest.raises(NotFoundError):
        client.datasets.get_dataset("qa")


def test_rename_to_a_taken_or_bad_name_is_refused(client: Client, store: Store) -> None:
    client.datasets.upsert_dataset("qa", rows(1))
    client.datasets.upsert_dataset("other", rows(1))
    with pytest.raises(ConflictError) as taken:
        client.datasets.rename_dataset("qa", "other")
    assert taken.value.code == "dataset_exists"
    with pytest.raises(ValidationError):
        client.datasets.rename_dataset("qa", "bad name")
    assert sorted(d.name for d in store.list_datasets().items) == ["other", "qa"]
