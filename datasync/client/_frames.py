"""DataFrames out: a dataset version as pandas, pyarrow or polars, an experiment as pandas.

Every library is optional and imported here, on first use; a missing one is a
:class:`~datasync.errors.MissingExtraError` naming the extra to install.

A version becomes one row per example with the columns ``id``, ``input``, ``output`` and
``metadata``, the last three JSON objects (structs in Arrow and polars, dicts in pandas).
Pushing the frame back is a no-op when every example's objects have the same keys; where the
keys differ between examples, a column of structs holds each key for every row, so the keys
an example lacked come back as ``null`` (as in a Parquet file).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from datasync._extras import require
from datasync.sync import EXAMPLE_KEYS, ExampleData

if TYPE_CHECKING:
    from datasync.client._experiments import Experiment

__all__ = ["arrow_table", "experiment_frame", "pandas_frame", "polars_frame"]


def _rows(examples: Iterable[ExampleData]) -> list[dict[str, Any]]:
    return [dict(example) for example in examples]


def pandas_frame(examples: Iterable[ExampleData]) -> Any:
    """A pandas DataFrame of ``examples`` (columns ``id``, ``input``, ``output``,
    ``metadata``)."""
    pandas = require("pandas", "Dataset.to_pandas()")
    return pandas.DataFrame(_rows(examples), columns=list(EXAMPLE_KEYS))


def arrow_table(examples: Iterable[ExampleData]) -> Any:
    """A pyarrow Table of ``examples`` (the objects as struct columns)."""
    pyarrow = require("pyarrow", "Dataset.to_arrow()")
    rows = _rows(examples)
    if not rows:
        return pyarrow.table({key: pyarrow.array([], pyarrow.null()) for key in EXAMPLE_KEYS})
    return pyarrow.Table.from_pylist(rows)


def polars_frame(examples: Iterable[ExampleData]) -> Any:
    """A polars DataFrame of ``examples`` (the objects as struct columns)."""
    polars = require("polars", "Dataset.to_polars()")
    rows = _rows(examples)
    if not rows:
        return polars.DataFrame(schema=dict.fromkeys(EXAMPLE_KEYS, polars.Null))
    return polars.DataFrame(rows)


def experiment_frame(experiment: Experiment) -> Any:
    """One row per run: ``id``, ``input``, ``expected``, ``output``, ``error``,
    ``latency_seconds``, ``reused`` (bool), ``reused_from`` (the experiment id, or ``None``),
    then ``score.NAME`` for each evaluator and ``label.NAME`` for those that gave a label."""
    pandas = require("pandas", "Experiment.to_pandas()")
    examples = {e.source_id: e for e in experiment.examples()}
    rows: list[dict[str, Any]] = []
    labelled: set[str] = set()
    names: set[str] = set()
    for run in experiment.runs():
        example = examples.get(run.source_id)
        row: dict[str, Any] = {
            "id": run.source_id,
            "input": None if example is None else example.input,
            "expected": None if example is None else example.output,
            "output": run.output,
            "error": run.error,
            "latency_seconds": run.latency_seconds,
            "reused": run.reused_from is not None,
            "reused_from": run.reused_from,
        }
        for evaluation in run.evaluations:
            names.add(evaluation.name)
            row[f"score.{evaluation.name}"] = evaluation.score
            if evaluation.label is not None:
                labelled.add(evaluation.name)
                row[f"label.{evaluation.name}"] = evaluation.label
        rows.append(row)
    columns = ["id", "input", "expected", "output", "error", "latency_seconds", "reused"]
    columns.append("reused_from")
    for name in sorted(names):
        columns.append(f"score.{name}")
        if name in labelled:
            columns.append(f"label.{name}")
    return pandas.DataFrame(rows, columns=columns)
