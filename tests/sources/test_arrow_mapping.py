"""The Arrow -> JSON type mapping, on real Parquet files (several row groups) and tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasync.errors import SourceError
from datasync.sources import examples_from_arrow, open_source

UTC = dt.UTC


def parquet_values(tmp_path: Path, array: pa.Array, **kw: Any) -> list[Any]:
    """Write ``array`` as column ``v`` (one row group per 2 rows) and read it back as JSON."""
    n = len(array)
    table = pa.table({"id": pa.array([str(i) for i in range(n)]), "v": array})
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=2)
    assert pq.ParquetFile(path).num_row_groups == (n + 1) // 2
    examples = list(open_source(str(path), source_id_key="id", input_keys=["v"], **kw))
    assert [e.location for e in examples] == [f"{path} row {i}" for i in range(n)]
    return [e.input["v"] for e in examples]


CASES: list[tuple[str, pa.Array, list[Any]]] = [
    ("null", pa.array([None, None, None], pa.null()), [None, None, None]),
    ("bool", pa.array([True, None, False]), [True, None, False]),
    ("int8", pa.array([-128, None, 127], pa.int8()), [-128, None, 127]),
    ("uint64", pa.array([0, 2**53, 2**60], pa.uint64()), [0, 2**53, 2**60]),
    ("int64", pa.array([-(2**53), None, 2**62], pa.int64()), [-(2**53), None, 2**62]),
    ("float32", pa.array([0.5, None, 0.1], pa.float32()), [0.5, None, 0.10000000149011612]),
    ("float64", pa.array([1.5, -0.0, 1e300]), [1.5, -0.0, 1e300]),
    (
        "decimal",
        pa.array([Decimal("1.50"), None, Decimal("-0.01")], pa.decimal128(5, 2)),
        ["1.50", None, "-0.01"],
    ),
    ("string", pa.array(["a", None, "é\U0001f600"]), ["a", None, "é\U0001f600"]),
    ("large_string", pa.array(["x", "y", None], pa.large_string()), ["x", "y", None]),
    (
        "date32",
        pa.array([dt.date(2024, 2, 29), None, dt.date(1, 1, 1)]),
        ["2024-02-29", None, "0001-01-01"],
    ),
    (
        "timestamp_utc",
        pa.array(
            [
                dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
                dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
                None,
            ],
            pa.timestamp("us", tz="UTC"),
        ),
        ["2024-01-02T03:04:05Z", "1969-12-31T23:59:59.500Z", None],
    ),
    (
        "timestamp_zone_is_written_in_utc",
        pa.array(
            [dt.datetime(2024, 6, 1, 12, 0, tzinfo=UTC)], pa.timestamp("ms", tz="Europe/Paris")
        ),
        ["2024-06-01T12:00:00Z"],
    ),
    (
        "timestamp_naive_ns",
        pa.array([1_700_000_000_123_456_789, 1_700_000_000_000_001_000], pa.timestamp("ns")),
        ["2023-11-14T22:13:20.123456789", "2023-11-14T22:13:20.000001"],
    ),
    (
        "time64",
        pa.array([dt.time(1, 2, 3), dt.time(23, 59, 59, 250000), None], pa.time64("us")),
        ["01:02:03", "23:59:59.250", None],
    ),
    ("list", pa.array([[1, 2], None, []]), [[1, 2], None, []]),
    (
        "fixed_size_list",
        pa.array([[1, 2], None, [3, 4]], pa.list_(pa.int32(), 2)),
        [[1, 2], None, [3, 4]],
    ),
    ("large_list", pa.array([["a"], []], pa.large_list(pa.string())), [["a"], []]),
    (
        "date64",
        pa.array([dt.date(1999, 12, 31), None], pa.date64()),
        ["1999-12-31", None],
    ),
    ("time32", pa.array([dt.time(0, 0, 1), None], pa.time32("ms")), ["00:00:01", None]),
    (
        "decimal256_scale0",
        pa.array([Decimal("12345678901234567890123")], pa.decimal256(40, 0)),
        ["12345678901234567890123"],
    ),
    (
        "list_of_lists",
        pa.array([[[1], [2, 3]], [None, []]], pa.list_(pa.list_(pa.int64()))),
        [[[1], [2, 3]], [None, []]],
    ),
    (
        "struct",
        pa.array([{"a": 1, "b": "x"}, None, {"a": None, "b": "y"}]),
        [{"a": 1, "b": "x"}, None, {"a": None, "b": "y"}],
    ),
    (
        "map",
        pa.array([[("k", 1), ("j", 2)], None, []], pa.map_(pa.string(), pa.int64())),
        [{"k": 1, "j": 2}, None, {}],
    ),
    (
        "dictionary",
        pa.array(["red", "blue", None, "red"]).dictionary_encode(),
        ["red", "blue", None, "red"],
    ),
    (
        "list_of_structs_with_dates",
        pa.array([[{"d": dt.date(2020, 1, 1)}], [{"d": None}]]),
        [[{"d": "2020-01-01"}], [{"d": None}]],
    ),
]


@pytest.mark.parametrize(("name", "array", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_arrow_type_maps_to_its_documented_json(
    tmp_path: Path, name: str, array: pa.Array, expected: list[Any]
) -> None:
    assert parquet_values(tmp_path, array) == expected


def test_binary_is_refused_unless_base64_is_asked_for(tmp_path: Path) -> None:
    array = pa.array([b"\x00\xff", None, b"hi"])
    with pytest.raises(SourceError) as info:
        parquet_values(tmp_path, array)
    assert (info.value.code, info.value.details["path"]) == ("binary_column", "$.v")
    assert parquet_values(tmp_path, array, binary="base64") == ["AP8=", None, "aGk="]


@pytest.mark.parametrize(
    ("array", "code", "row", "path"),
    [
        (pa.array([1.0, 2.0, float("nan")]), "non_finite_number", 2, "$.v"),
        (pa.array([[1.0], [2.0, float("inf")]]), "non_finite_number", 1, "$.v[1]"),
        (pa.array([1, 2**53 + 1], pa.int64()), "inexact_integer", 1, "$.v"),
        (
            pa.array([{"a": [0]}, {"a": [1, 2**63 - 1]}]),
            "inexact_integer",
            1,
            "$.v.a[1]",
        ),
        (
            pa.array([[("k", 1)], [("x", 1), ("x", 2)]], pa.map_(pa.string(), pa.int64())),
            "duplicate_key",
            1,
            "$.v.x",
        ),
        (
            pa.array(
                [[], [("z", [0.0, float("nan")])]], pa.map_(pa.string(), pa.list_(pa.float64()))
            ),
            "non_finite_number",
            1,
            "$.v.z[1]",
        ),
    ],
)
def test_refused_values_name_the_row_and_json_path(
    tmp_path: Path, array: pa.Array, code: str, row: int, path: str
) -> None:
    with pytest.raises(SourceError) as info:
        parquet_values(tmp_path, array)
    file = tmp_path / "t.parquet"
    assert (info.value.code, info.value.location, info.value.details["path"]) == (
        code,
        f"{file} row {row}",
        path,
    )


@pytest.mark.parametrize(
    ("array", "code"),
    [
        (pa.array([1], pa.duration("s")), "unsupported_type"),
        (pa.array([[(1, 1)]], pa.map_(pa.int64(), pa.int64())), "unsupported_type"),
    ],
)
def test_types_without_a_mapping_are_refused_before_reading(
    tmp_path: Path, array: pa.Array, code: str
) -> None:
    with pytest.raises(SourceError) as info:
        parquet_values(tmp_path, array)
    assert info.value.code == code
    assert info.value.location == str(tmp_path / "t.parquet")


def test_a_file_that_is_not_parquet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    path.write_bytes(b"PAR1 but not really")
    with pytest.raises(SourceError) as info:
        list(open_source(str(path)))
    assert (info.value.code, info.value.location) == ("invalid_parquet", str(path))


def test_timestamp_fraction_digits_do_not_depend_on_the_unit() -> None:
    moment = dt.datetime(2024, 1, 2, 3, 4, 5, 120000, tzinfo=UTC)
    texts = set()
    for unit in ("ms", "us", "ns"):
        table = pa.table({"t": pa.array([moment], pa.timestamp(unit, tz="UTC"))})
        (example,) = examples_from_arrow(table, input_keys=["t"])
        texts.add(example.input["t"])
    assert texts == {"2024-01-02T03:04:05.120Z"}


def test_a_pandas_dataframe_goes_through_the_same_mapping() -> None:
    frame = pd.DataFrame(
        {
            "id": [1, 2],
            "question": ["a", "b"],
            "when": pd.to_datetime(["2024-01-01T00:00:00Z", "2024-01-02T12:30:00Z"]),
            "score": [0.5, None],
        }
    )
    examples = list(
        examples_from_arrow(frame, source_id_key="id", input_keys=["question"], origin="df")
    )
    assert [(e.source_id, e.input, e.metadata, e.location) for e in examples] == [
        ("1", {"question": "a"}, {"when": "2024-01-01T00:00:00Z", "score": 0.5}, "df row 0"),
        ("2", {"question": "b"}, {"when": "2024-01-02T12:30:00Z", "score": None}, "df row 1"),
    ]


def test_record_batches_are_read_in_order_with_global_row_numbers() -> None:
    batches = [
        pa.record_batch({"id": ["a", "b"], "q": [1, 2]}),
        pa.record_batch({"id": ["c"], "q": [3]}),
    ]
    examples = list(examples_from_arrow(iter(batches), source_id_key="id", input_keys=["q"]))
    assert [(e.source_id, e.location) for e in examples] == [
        ("a", "<arrow> row 0"),
        ("b", "<arrow> row 1"),
        ("c", "<arrow> row 2"),
    ]


def test_shaped_struct_columns_are_taken_as_they_are(tmp_path: Path) -> None:
    table = pa.table(
        {
            "id": ["x"],
            "input": pa.array([{"q": "hi"}]),
            "output": pa.array([{"a": 1}]),
        }
    )
    path = tmp_path / "shaped.parquet"
    pq.write_table(table, path)
    (example,) = open_source(str(path), source_id_key="id")
    assert (example.input, example.output, example.metadata) == ({"q": "hi"}, {"a": 1}, {})


@pytest.mark.parametrize(
    "array",
    [
        pa.array([0, 3_000_000], pa.date32()),
        pa.array([0, 2**62], pa.timestamp("s", tz="UTC")),
        pa.array([0, 90_000], pa.time32("s")),
    ],
    ids=["date", "timestamp", "time"],
)
def test_dates_and_times_outside_the_mapped_range_are_refused(array: pa.Array) -> None:
    with pytest.raises(SourceError) as info:
        list(examples_from_arrow(pa.table({"v": array}), input_keys=["v"]))
    assert (info.value.code, info.value.location) == ("value_out_of_range", "<arrow> row 1")


def test_repeated_struct_fields_and_columns_are_refused() -> None:
    struct = pa.StructArray.from_arrays([pa.array([1]), pa.array([2])], names=["a", "a"])
    with pytest.raises(SourceError) as info:
        list(examples_from_arrow(pa.table({"s": struct}), input_keys=["s"]))
    assert (info.value.code, info.value.details["path"]) == ("duplicate_key", "$.s.a")
    table = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["c", "c"])
    with pytest.raises(SourceError) as info:
        list(examples_from_arrow(table, input_keys=["c"]))
    assert (info.value.code, info.value.details["path"]) == ("duplicate_key", "$.c")
