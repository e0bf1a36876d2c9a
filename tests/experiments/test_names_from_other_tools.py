"""Each line of the table "Coming from Phoenix or LangSmith" in docs/experiments.md, as a test
(same order, same calls), embedded and through a live server, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from datasync import Client, UsageError, run_experiment
from datasync.client import Dataset

ROWS = [
    {"id": "q1", "input": {"question": "2+2"}, "output": {"answer": "4"}, "metadata": {"k": 1}},
    {"id": "q2", "input": {"question": "3*3"}, "output": {"answer": "6"}, "metadata": {"k": 2}},
]


def solve(input: dict[str, Any]) -> dict[str, str]:
    return {"answer": {"2+2": "4", "3*3": "9"}[input["question"]]}


@pytest.fixture
def dataset(client: Client) -> Dataset:
    return client.datasets.upsert_dataset("calc", ROWS)


def test_line_1_phoenix_run_experiment_with_description_and_metadata(
    client: Client, dataset: Dataset
) -> None:
    exp = run_experiment(
        dataset,
        solve,
        experiment_name="calc",
        experiment_description="the calculator",
        experiment_metadata={"model": "calc-1"},
    )
    again = client.experiments.get(exp.id)
    assert again.description == "the calculator"
    assert again.metadata == {"model": "calc-1", "description": "the calculator"}
    with pytest.raises(UsageError, match="not both"):
        run_experiment(dataset, solve, metadata={}, experiment_metadata={})


def test_line_2_phoenix_task_reads_example_as_a_mapping(dataset: Dataset) -> None:
    def task(example: Any) -> str:
        return f"{example['id']}: {example['input']['question']} / {example.get('metadata')}"

    exp = run_experiment(dataset, task, experiment_name="mapping")
    assert exp.errors == 0
    assert [r.output for r in exp.runs()] == ["q1: 2+2 / {'k': 1}", "q2: 3*3 / {'k': 2}"]


def test_line_3_phoenix_evaluator_binds_output_and_reference(dataset: Dataset) -> None:
    def correct(output: Any, reference: Any) -> bool:
        return bool(output == reference)

    def has_metadata(metadata: Any, expected: Any, input: Any) -> bool:
        return bool(metadata and expected and input)

    exp = run_experiment(dataset, solve, [correct, has_metadata])
    assert exp.scores == {"correct": 0.5, "has_metadata": 1.0}


def test_line_4_langsmith_target_binds_inputs(dataset: Dataset) -> None:
    def target(inputs: dict[str, Any]) -> dict[str, str]:
        return solve(inputs)

    exp = run_experiment(dataset, target)
    assert [r.output for r in exp.runs()] == [{"answer": "4"}, {"answer": "9"}]


def test_line_5_langsmith_evaluator_binds_inputs_outputs_reference_outputs(
    dataset: Dataset,
) -> None:
    def correct(inputs: Any, outputs: Any, reference_outputs: Any) -> dict[str, Any]:
        return {"score": outputs == reference_outputs, "explanation": inputs["question"]}

    exp = run_experiment(dataset, solve, [correct])
    assert exp.scores == {"correct": 0.5}
    explanations = [r.evaluation("correct").explanation for r in exp.runs()]  # type: ignore[union-attr]
    assert explanations == ["2+2", "3*3"]


def test_line_6_phoenix_dry_run_records_nothing(client: Client, dataset: Dataset) -> None:
    one = run_experiment(dataset, solve, [("one", lambda output: 1)], dry_run=True)
    assert one.dry_run and (one.ran, one.errors) == (1, 0)
    assert [(r.source_id, r.output) for r in one.runs()] == [("q1", {"answer": "4"})]
    assert one.scores == {"one": 1.0}
    three = run_experiment(dataset, solve, dry_run=3)  # more than there are: all of them
    assert three.ran == 2
    assert client.experiments.list(dataset="calc") == []
    with pytest.raises(UsageError, match="dry_run"):
        run_experiment(dataset, solve, dry_run=-1)


def test_line_7_phoenix_and_langsmith_dataframes(dataset: Dataset) -> None:
    frame = dataset.to_pandas()
    assert list(frame.columns) == ["id", "input", "output", "metadata"]
    assert frame.to_dict("records") == ROWS
    exp = run_experiment(dataset, solve, [("correct", lambda output, expected: output == expected)])
    table = exp.to_pandas()
    assert list(table.columns) == [
        "id",
        "input",
        "expected",
        "output",
        "error",
        "latency_seconds",
        "reused",
        "reused_from",
        "score.correct",
        "label.correct",
    ]
    assert table["score.correct"].tolist() == [1.0, 0.0]
    assert table["input"].tolist() == [r["input"] for r in ROWS]
    assert table["reused"].tolist() == [False, False]


def test_line_8_phoenix_upsert_summary_names(client: Client, dataset: Dataset) -> None:
    v2 = client.datasets.upsert_dataset("calc", [{**ROWS[0], "output": {"answer": "four"}}])
    s = v2.summary
    assert (s.added, s.updated, s.deleted) == (s.created, s.patched, 1) == (0, 1, 1)


def test_line_9_langsmith_evaluate_maps_to_run_experiment(client: Client, dataset: Dataset) -> None:
    def correct(outputs: Any, reference_outputs: Any) -> bool:
        return bool(outputs == reference_outputs)

    exp = run_experiment(
        "calc",
        solve,
        [correct],
        experiment_name="calc-baseline",
        experiment_description="baseline",
        experiment_metadata={"prompt": "v1"},
        client=client,
    )
    assert (exp.name, exp.version_id, exp.scores) == ("calc-baseline", 1, {"correct": 0.5})
    assert exp.metadata == {"prompt": "v1", "description": "baseline"}
