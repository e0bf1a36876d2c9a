"""The seed plan's loop: examples are mappings, and ``reuse="auto"`` copies each example's
result from the newest earlier experiment of the dataset (any version, any name) with the same
task fingerprint and task-visible content, saying where it came from. Embedded and through a
live server, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest

from datasync import Client, run_experiment
from datasync.cli import main
from datasync.experiments import bind
from datasync.store import Store
from datasync.sync import ExampleData

V1 = [
    {"id": "q1", "input": {"question": "What is AI?"}, "output": {"answer": "..."}, "metadata": {}},
    {"id": "q2", "input": {"question": "What is ML?"}, "output": {"answer": "..."}, "metadata": {}},
]
V2 = [
    {"id": "q1", "input": {"question": "What is AI?"}, "output": {"answer": "AI"}, "metadata": {}},
    {"id": "q3", "input": {"question": "What is RL?"}, "output": {"answer": "..."}, "metadata": {}},
]
ASKED: list[str] = []


def task(example):  # type: ignore[no-untyped-def] # the seed's task, untyped as users write it
    ASKED.append(example["id"])
    return {"answer": f"stub: {example['input']['question']}"}


def test_an_example_reads_as_a_mapping_with_the_keys_of_a_row() -> None:
    example = ExampleData("q1", {"question": "?"}, {"answer": "!"}, {"split": "test"}, "ab" * 32)
    assert example["id"] == "q1" and example["input"] == {"question": "?"}
    assert example.get("metadata") == {"split": "test"} and example.get("hash") is None
    assert "output" in example and "hash" not in example and "source_id" not in example
    assert list(example) == ["id", "input", "output", "metadata"] and len(example) == 4
    assert dict(example) == {
        "id": "q1",
        "input": {"question": "?"},
        "output": {"answer": "!"},
        "metadata": {"split": "test"},
    }
    assert (example.source_id, example.input, example.hash) == ("q1", {"question": "?"}, "ab" * 32)
    with pytest.raises(KeyError):
        example["hash"]


def test_a_task_reading_constant_keys_of_example_sees_only_those_parts() -> None:
    def reads_metadata(example: Any) -> Any:
        return example.get("metadata"), example.output, example["id"], example.source_id

    def passes_it_on(example: Any) -> Any:
        return dict(example)

    def loops_over_keys(example: Any) -> Any:
        return [example[k] for k in ("input",)]

    def never_names_it(example: Any) -> Any:
        return locals()

    assert bind(task).parts == ("input",)
    assert bind(reads_metadata).parts == ("metadata", "output")
    everything = ("input", "metadata", "output")
    assert bind(passes_it_on).parts == bind(loops_over_keys).parts == everything
    assert bind(never_names_it).parts == everything


def test_the_seed_loop_runs_q3_and_reuses_q1_across_experiment_names(
    client: Client, store: Store
) -> None:
    ASKED.clear()
    dataset_v1 = client.datasets.upsert_dataset(dataset="support", examples=V1, source_id_key="id")
    exp_v1 = run_experiment(dataset=dataset_v1, task=task, experiment_name="support-v1")
    assert (exp_v1.ran, exp_v1.reused, exp_v1.errors) == (2, 0, 0)
    assert {r.source_id: r.output for r in exp_v1.runs()} == {
        "q1": {"answer": "stub: What is AI?"},
        "q2": {"answer": "stub: What is ML?"},
    }
    dataset_v2 = client.datasets.upsert_dataset(dataset="support", examples=V2, source_id_key="id")
    s = dataset_v2.summary
    assert (s.added, s.updated, s.deleted, s.unchanged) == (1, 1, 1, 0)
    ASKED.clear()
    exp_v2 = run_experiment(dataset=dataset_v2, task=task, experiment_name="support-v2")
    assert ASKED == ["q3"]
    assert (exp_v2.ran, exp_v2.reused, exp_v2.errors) == (1, 1, 0)
    assert {r.source_id: r.reused_from for r in exp_v2.runs()} == {"q1": exp_v1.id, "q3": None}
    assert exp_v2.reuse_summary == f"reused 1 from experiment {exp_v1.id} 'support-v1'"
    assert f"reused 1 from experiment {exp_v1.id} 'support-v1'" in repr(exp_v2)
    stored = store.get_experiment(exp_v2.id)
    assert [(r.experiment_id, r.name, r.count) for r in stored.reused_sources] == [
        (exp_v1.id, "support-v1", 1)
    ]
    assert client.experiments.get(exp_v2.id).reused_sources == stored.reused_sources


def test_each_example_comes_from_the_newest_experiment_that_ran_it(client: Client) -> None:
    ASKED.clear()
    v1 = client.datasets.upsert_dataset("support", V1)
    first = run_experiment(v1, task, experiment_name="a", client=client)
    v2 = client.datasets.upsert_dataset("support", V2)
    second = run_experiment(v2, task, experiment_name="b", client=client)  # runs q3
    both = client.datasets.upsert_dataset("support", [*V2, V1[1]])  # q1, q2 and q3 again
    ASKED.clear()
    third = run_experiment(both, task, experiment_name="c", client=client)
    assert (third.ran, third.reused, ASKED) == (0, 3, [])
    assert {r.source_id: r.reused_from for r in third.runs()} == {
        "q1": first.id,  # second copied it from first: the run keeps where it really ran
        "q2": first.id,
        "q3": second.id,
    }
    assert third.reuse_summary == (
        f"reused 2 from experiment {first.id} 'a', reused 1 from experiment {second.id} 'b'"
    )


def test_reuse_none_and_reuse_from_keep_their_meaning(client: Client) -> None:
    v1 = client.datasets.upsert_dataset("support", V1)
    first = run_experiment(v1, task, experiment_name="a", client=client)
    assert run_experiment(v1, task, experiment_name="b", reuse="none", client=client).ran == 2

    def other(example: Any) -> dict[str, str]:
        return {"answer": example["input"]["question"]}

    assert run_experiment(v1, other, experiment_name="c", client=client).ran == 2
    pinned = run_experiment(v1, task, experiment_name="d", reuse_from=first.id, client=client)
    assert (pinned.ran, pinned.reused) == (0, 2)
    assert {r.reused_from for r in pinned.runs()} == {first.id}


def test_experiments_show_says_where_reused_runs_came_from(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Client(store=store_url) as client:
        v1 = client.datasets.upsert_dataset("support", V1)
        first = run_experiment(v1, task, experiment_name="support-v1", client=client)
        v2 = client.datasets.upsert_dataset("support", V2)
        second = run_experiment(v2, task, experiment_name="support-v2", client=client)
    assert main(["experiments", "show", str(second.id), "--store", store_url]) == 0
    out = capsys.readouterr().out
    assert f"reused 1 from experiment {first.id} 'support-v1'" in out
    assert main(["experiments", "show", str(second.id), "--store", store_url, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["reused_sources"] == [
        {"experiment_id": first.id, "name": "support-v1", "count": 1}
    ]
