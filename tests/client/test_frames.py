"""DataFrames in and out: a dataset pushed from pandas, pyarrow, polars, a Hugging Face Dataset
or any Arrow stream reads back equal, and ``to_pandas`` / ``to_arrow`` / ``to_polars`` frames
push back as no-ops. Embedded and through a live server, on SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import datasets
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from datasync import Client, MissingExtraError
from datasync.client import Dataset

ROWS = [
    {
        "id": f"q{i}",
        "input": {"question": f"{i}+{i}", "tags": ["a", "b"][: i % 3]},
        "output": {"answer": str(2 * i)},
        "metadata": {"split": "test" if i % 2 else "train", "n": i},
    }
    for i in range(5)
]


class ArrowStream:
    """Only the Arrow PyCapsule stream interface, as another library would export it."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self._table.__arrow_c_stream__(requested_schema)


FRAMES: dict[str, Callable[[list[dict[str, Any]]], Any]] = {
    "pandas": pd.DataFrame,
    "pyarrow": pa.Table.from_pylist,
    "polars": pl.DataFrame,
    "huggingface": datasets.Dataset.from_list,
    "arrow-stream": lambda rows: ArrowStream(pa.Table.from_pylist(rows)),
}


def _stored(dataset: Dataset) -> list[dict[str, Any]]:
    return [dict(example) for example in dataset.examples()]


@pytest.mark.parametrize("kind", list(FRAMES))
def test_a_frame_pushes_and_reads_back_equal(client: Client, kind: str) -> None:
    dataset = client.datasets.upsert_dataset("frames", FRAMES[kind](ROWS))
    assert dataset.summary.created == 5
    assert _stored(dataset) == ROWS
    again = client.datasets.upsert_dataset("frames", FRAMES[kind](ROWS))
    assert again.no_op


def test_a_hugging_face_selection_pushes_only_its_rows(client: Client) -> None:
    selected = datasets.Dataset.from_list(ROWS).select([3, 1])
    dataset = client.datasets.upsert_dataset("hf", selected)
    assert _stored(dataset) == [ROWS[1], ROWS[3]]


@pytest.mark.parametrize("method", ["to_pandas", "to_arrow", "to_polars"])
def test_a_version_comes_out_as_a_frame_that_pushes_back_as_a_no_op(
    client: Client, method: str
) -> None:
    dataset = client.datasets.upsert_dataset("out", ROWS)
    frame = getattr(dataset, method)()
    assert len(frame) == 5
    assert list(frame.columns if method != "to_arrow" else frame.column_names) == [
        "id",
        "input",
        "output",
        "metadata",
    ]
    assert client.datasets.upsert_dataset("out", frame).no_op
    copy = client.datasets.upsert_dataset("copy", frame)
    assert _stored(copy) == ROWS


def test_frames_out_equal_frames_in(tmp_path: Path) -> None:
    """pandas and polars frames read back equal to the frames that were pushed."""
    with Client(store=str(tmp_path / "frames.sqlite")) as client:
        pushed = pd.DataFrame(ROWS)
        back = client.datasets.upsert_dataset("p", pushed).to_pandas()
        pd.testing.assert_frame_equal(back, pushed)
        polars_in = pl.DataFrame(ROWS)
        polars_out = client.datasets.upsert_dataset("q", polars_in).to_polars()
        assert polars_out.to_dicts() == polars_in.to_dicts()
        table = pa.Table.from_pylist(ROWS)
        assert client.datasets.upsert_dataset("r", table).to_arrow().to_pylist() == ROWS


def test_where_filters_the_frame(client: Client) -> None:
    dataset = client.datasets.upsert_dataset("where", ROWS)
    assert dataset.to_pandas(where={"split": "test"})["id"].tolist() == ["q1", "q3"]


def test_a_missing_library_is_named(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    dataset = client.datasets.upsert_dataset("missing", ROWS)
    monkeypatch.setitem(sys.modules, "polars", None)  # import polars now raises ImportError
    with pytest.raises(MissingExtraError) as info:
        dataset.to_polars()
    assert (info.value.extra, info.value.module) == ("polars", "polars")
    assert "[polars]" in info.value.message
