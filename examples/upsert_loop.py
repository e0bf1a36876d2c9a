"""upsert v1, edit the data (1 changed, 1 removed, 1 new), upsert v2, show both versions.

Runs against the embedded store in a temporary directory, or against a server when
DATASYNC_URL is set (the dataset name is then made unique per run).

    python examples/upsert_loop.py
"""

from __future__ import annotations

import os
import tempfile
import uuid

from datasync import Client

ROWS = [
    {"id": "q1", "input": {"question": "2+2?"}, "output": {"answer": "4"}},
    {"id": "q2", "input": {"question": "capital of France?"}, "output": {"answer": "Paris"}},
    {"id": "q3", "input": {"question": "largest planet?"}, "output": {"answer": "Saturn"}},
    {"id": "q4", "input": {"question": "H2O is?"}, "output": {"answer": "water"}},
]


def show(client: Client, name: str, version_id: int | None) -> None:
    dataset = client.datasets.get_dataset(name, version_id)
    print(f"  version {dataset.version_id}:")
    for example in dataset.examples():
        print(f"    {example.source_id}: {example.input['question']} -> {example.output['answer']}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        remote = bool(os.environ.get("DATASYNC_URL"))
        client = Client() if remote else Client(store=os.path.join(tmp, "store.sqlite"))
        name = f"upsert-loop-{uuid.uuid4().hex[:8]}" if remote else "upsert-loop"
        with client:
            v1 = client.datasets.upsert_dataset(dataset=name, examples=ROWS, message="v1")
            print(f"v1: version {v1.version_id}, {v1.summary}")

            edited = [dict(row) for row in ROWS if row["id"] != "q4"]  # 1 removed
            edited[2] = {**edited[2], "output": {"answer": "Jupiter"}}  # 1 changed
            edited.append({"id": "q5", "input": {"question": "3*3?"}, "output": {"answer": "9"}})
            v2 = client.datasets.upsert_dataset(dataset=name, examples=edited, message="v2")
            print(f"v2: version {v2.version_id}, {v2.summary}")
            assert (v2.summary.created, v2.summary.patched, v2.summary.deleted) == (1, 1, 1)
            assert v2.summary.unchanged == 2

            again = client.datasets.upsert_dataset(dataset=name, examples=edited)
            print(f"again: no_op={again.no_op}, still version {again.version_id}")
            assert again.no_op and again.version_id == v2.version_id

            show(client, name, v1.version_id)
            show(client, name, v2.version_id)


if __name__ == "__main__":
    main()
