"""The store's experiment records: only examples of the pinned version, idempotent writes,
nothing after finish. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from datasync.errors import ConflictError, NotFoundError, ValidationError
from datasync.store import Store
from datasync.sync import ExampleData
from datasync.sync.experiment_records import EvaluationRecord, RunRecord


def _setup(store: Store) -> tuple[int, dict[str, str]]:
    result = store.snapshot("qa", [ExampleData(f"e{i}", {"i": i}) for i in range(3)])
    exp = store.create_experiment("qa", result.version_id, "x", "version:1", {"acc": "code:a"})
    hashes = {e.source_id: e.hash or "" for e in store.iter_examples("qa").items}
    return exp.id, hashes


def test_runs_must_name_examples_of_the_pinned_version_with_their_hash(store: Store) -> None:
    exp, hashes = _setup(store)
    with pytest.raises(ValidationError) as caught:
        store.record_runs(exp, [RunRecord("nope", "0" * 64, "s")])
    assert caught.value.code == "unknown_example" and "nope" in caught.value.message
    with pytest.raises(ValidationError):
        store.record_runs(exp, [RunRecord("e1", "0" * 64, "s")])  # wrong content hash
    with pytest.raises(ValidationError) as dup:
        store.record_runs(exp, [RunRecord("e1", hashes["e1"], "s")] * 2)
    assert dup.value.code == "duplicate_ids"
    assert store.list_runs(exp).items == ()  # nothing written half-way


def test_writes_replace_by_key_and_stop_after_finish(store: Store) -> None:
    exp, hashes = _setup(store)
    run = RunRecord("e1", hashes["e1"], "s", {"out": 1})
    store.record_runs(exp, [run])
    store.record_runs(exp, [run])  # a retried batch
    store.record_evaluations(exp, [("e1", EvaluationRecord("acc", 0.5))])
    store.record_evaluations(exp, [("e1", EvaluationRecord("acc", 1.0))])
    (stored,) = store.list_runs(exp).items
    assert stored.output == {"out": 1} and stored.evaluations == (EvaluationRecord("acc", 1.0),)
    with pytest.raises(ValidationError) as caught:
        store.record_evaluations(exp, [("e2", EvaluationRecord("acc", 1.0))])
    assert caught.value.code == "unknown_run"
    info = store.finish_experiment(exp)
    assert (info.status, info.ran, info.scores["acc"].mean) == ("complete", 1, 1.0)
    with pytest.raises(ConflictError) as finished:
        store.record_runs(exp, [run])
    assert finished.value.code == "experiment_finished"


def test_experiments_are_deleted_with_their_dataset_only_when_forced(store: Store) -> None:
    exp, _ = _setup(store)
    with pytest.raises(ConflictError) as refused:
        store.delete_dataset("qa")
    assert refused.value.code == "dataset_in_use" and refused.value.details["experiments"] == 1
    assert store.get_experiment(exp).id == exp and store.get_version("qa").total == 3
    deleted = store.delete_dataset("qa", force=True)
    assert (deleted.name, deleted.versions, deleted.examples, deleted.experiments) == (
        "qa",
        1,
        3,
        1,
    )
    with pytest.raises(NotFoundError):
        store.get_experiment(exp)
