"""upsert_dataset from each kind of input — a pandas DataFrame, a pyarrow Table, a generator,
rows without an id key — end to end through the embedded store and a live server, on SQLite
and PostgreSQL; the store holds exactly what was pushed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from datasync.canonical import content_hash
from datasync.client import Client
from datasync.errors import SourceError
from datasync.store import Store
from tests.client.conftest import rows
from tests.client.test_upsert import as_state, stored


def flat(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as flat columns: id, question, answer, split."""
    return [
        {
            "id": r["id"],
            "question": r["input"]["question"],
            "answer": r["output"]["answer"],
            "split": r["metadata"]["split"],
        }
        for r in data
    ]


def flat_state(data: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        r["id"]: {
            "input": {"question": r["question"]},
            "output": {"answer": r["answer"]},
            "metadata": {"split": r["split"]},
        }
        for r in data
    }


KEYS = {"input_keys": ["question"], "output_keys": ["answer"], "metadata_keys": ["split"]}


def test_dataframe_push_then_edit_patches_only_the_edited_rows(
    client: Client, store: Store
) -> None:
    data = flat(rows(300))
    v1 = client.datasets.upsert_dataset(dataset="qa", examples=pd.DataFrame(data), **KEYS)
    assert v1.summary.to_dict() == {"created": 300, "patched": 0, "deleted": 0, "unchanged": 0}
    assert stored(store, "qa") == flat_state(data)
    data[5] = {**data[5], "answer": "changed"}
    data[250] = {**data[250], "split": "dev"}
    v2 = client.datasets.upsert_dataset(dataset="qa", examples=pd.DataFrame(data), **KEYS)
    assert v2.summary.to_dict() == {"created": 0, "patched": 2, "deleted": 0, "unchanged": 298}
    assert stored(store, "qa") == flat_state(data)


def test_arrow_table_push_then_delete_and_create(client: Client, store: Store) -> None:
    data = flat(rows(200))
    client.datasets.upsert_dataset(dataset="qa", examples=pa.Table.from_pylist(data), **KEYS)
    changed = data[10:] + flat(rows(4, start=900))
    v2 = client.datasets.upsert_dataset(
        dataset="qa", examples=pa.Table.from_pylist(changed), **KEYS
    )
    assert v2.summary.to_dict() == {"created": 4, "patched": 0, "deleted": 10, "unchanged": 190}
    assert stored(store, "qa") == flat_state(changed)


def test_a_generator_is_read_once_and_pushed_whole(client: Client, store: Store) -> None:
    data = rows(500)
    consumed = []

    def generate(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for item in items:
            consumed.append(item["id"])
            yield item

    v1 = client.datasets.upsert_dataset(dataset="qa", examples=generate(data))
    assert v1.summary.created == 500 and len(consumed) == 500  # one pass, bodies spilled
    edited = [dict(r) for r in data]
    edited[0] = {**edited[0], "output": {"answer": "zero"}}
    consumed.clear()
    v2 = client.datasets.upsert_dataset(dataset="qa", examples=generate(edited))
    assert v2.summary.to_dict() == {"created": 0, "patched": 1, "deleted": 0, "unchanged": 499}
    assert len(consumed) == 500
    assert stored(store, "qa") == as_state(edited)


def test_a_failing_generator_sends_nothing(client: Client, store: Store) -> None:
    def generate() -> Iterator[dict[str, Any]]:
        yield from rows(20)
        yield {"id": "bad", "input": {"n": float("nan")}}

    with pytest.raises(SourceError):
        client.datasets.upsert_dataset(dataset="qa", examples=generate())
    assert store.list_datasets(10, None).items == ()


def test_without_id_key_identity_is_content_so_an_edit_is_create_plus_delete(
    client: Client, store: Store
) -> None:
    data = [{"input": {"q": f"question {i}"}, "output": {"a": str(i)}} for i in range(60)]
    v1 = client.datasets.upsert_dataset(dataset="qa", examples=data, source_id_key=None)
    assert v1.summary.created == 60
    ids = {content_hash(r["input"], r["output"], None) for r in data}
    assert set(stored(store, "qa")) == ids
    edited = [dict(r) for r in data]
    edited[7] = {"input": {"q": "question 7"}, "output": {"a": "seven"}}
    v2 = client.datasets.upsert_dataset(dataset="qa", examples=edited, source_id_key=None)
    assert v2.summary.to_dict() == {"created": 1, "patched": 0, "deleted": 1, "unchanged": 59}
    new_id = content_hash(edited[7]["input"], edited[7]["output"], None)
    old_id = content_hash(data[7]["input"], data[7]["output"], None)
    state = stored(store, "qa")
    assert new_id in state and old_id not in state and len(state) == 60
    assert state[new_id]["output"] == {"a": "seven"}


@pytest.mark.parametrize("as_path", [False, True])
def test_max_errors_collects_every_bad_example_and_sends_nothing(
    client: Client, store: Store, tmp_path: Any, as_path: bool
) -> None:
    data: list[dict[str, Any]] = [
        *rows(5),
        {"id": "x", "input": {"n": float("inf")}},
        {"id": "y"},
        {"id": "", "input": {}},
    ]
    examples: Any = data
    if as_path:
        examples = tmp_path / "qa.jsonl"
        examples.write_text("".join(json.dumps(r) + "\n" for r in data))
    for call in (client.datasets.upsert_dataset, client.datasets.diff):
        with pytest.raises(SourceError) as info:
            call(dataset="qa", examples=examples, max_errors=0)
        codes = [e["code"] for e in info.value.details["errors"]]
        assert codes == ["non_finite_number", "missing_key", "empty_source_id"]
        with pytest.raises(SourceError) as info:
            call(dataset="qa", examples=examples)
        assert info.value.code == "non_finite_number" and "errors" not in info.value.details
    assert store.list_datasets(10, None).items == ()


def test_a_directory_is_one_source(client: Client, store: Store, tmp_path: Any) -> None:
    (tmp_path / "data").mkdir()
    for name, part in (("train", rows(6)), ("test", rows(3, start=6))):
        text = "".join(json.dumps(r) + "\n" for r in part)
        (tmp_path / "data" / f"{name}.jsonl").write_text(text)
    v1 = client.datasets.upsert_dataset(dataset="qa", examples=tmp_path / "data")
    assert v1.summary.created == 9 and stored(store, "qa") == as_state(rows(9))
    edited = rows(3, start=6, tag="!")
    (tmp_path / "data" / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in edited))
    v2 = client.datasets.upsert_dataset(dataset="qa", examples=str(tmp_path / "data"))
    assert (v2.summary.patched, v2.summary.unchanged) == (3, 6)
    assert stored(store, "qa") == as_state(rows(6) + edited)
