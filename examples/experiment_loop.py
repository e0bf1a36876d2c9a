"""upsert v1 -> run an experiment -> edit the data -> upsert v2 -> run again, paying only for
what changed.

v2 changes one input (the task must run again), corrects one expected output (re-scored
without calling the task), removes one example (drops out) and adds one (runs): the second
run prints ran=2.

Runs against the embedded store in a temporary directory, or against a server given with
``--server URL`` or DATASYNC_URL (the dataset name is then made unique per run).

    python examples/experiment_loop.py [--server http://127.0.0.1:8765]
"""

from __future__ import annotations

import argparse
import operator
import os
import re
import tempfile
import uuid
from typing import Any

from datasync import Client, run_experiment

ROWS = [
    {"id": "q1", "input": {"question": "2+2"}, "output": {"answer": "4"}},
    {"id": "q2", "input": {"question": "3*3"}, "output": {"answer": "6"}},  # wrong: fixed in v2
    {"id": "q3", "input": {"question": "10-4"}, "output": {"answer": "6"}},
    {"id": "q4", "input": {"question": "7+1"}, "output": {"answer": "8"}},
]
OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul}
CALLS: list[str] = []


def solve(input: dict[str, Any]) -> dict[str, str]:
    """The task: a calculator standing in for a model call (which costs money)."""
    CALLS.append(input["question"])
    left, op, right = re.fullmatch(r"(\d+)([-+*])(\d+)", input["question"]).groups()  # type: ignore[union-attr]
    return {"answer": str(OPS[op](int(left), int(right)))}


def correct(output: dict[str, str], expected: dict[str, str]) -> bool:
    return output["answer"] == expected["answer"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get("DATASYNC_URL"), metavar="URL")
    server = parser.parse_args().server
    with tempfile.TemporaryDirectory() as tmp:
        if server:
            client, name = Client(base_url=server), f"calc-{uuid.uuid4().hex[:8]}"
        else:
            client, name = Client(store=os.path.join(tmp, "store.sqlite")), "calc"
        with client:
            v1 = client.datasets.upsert_dataset(dataset=name, examples=ROWS, message="v1")
            first = run_experiment(v1, solve, [correct], experiment_name="calc", client=client)
            print(f"v1 (version {v1.version_id}): ran={first.ran} reused={first.reused}"
                  f" scores={first.scores}")  # fmt: skip
            assert (first.ran, first.reused, len(CALLS)) == (4, 0, 4)

            edited = [dict(row) for row in ROWS if row["id"] != "q4"]  # q4 removed
            edited[0] = {**edited[0], "input": {"question": "2+3"}}  # q1: input changed
            edited[0]["output"] = {"answer": "5"}
            edited[1] = {**edited[1], "output": {"answer": "9"}}  # q2: expected corrected
            edited.append({"id": "q5", "input": {"question": "6*7"}, "output": {"answer": "42"}})
            v2 = client.datasets.upsert_dataset(dataset=name, examples=edited, message="v2")

            CALLS.clear()
            second = run_experiment(v2, solve, [correct], experiment_name="calc", client=client)
            print(f"v2 (version {v2.version_id}): ran={second.ran} reused={second.reused}"
                  f" scores={second.scores} task calls={CALLS}")  # fmt: skip
            assert (second.ran, second.reused, second.errors) == (2, 2, 0)
            assert sorted(CALLS) == ["2+3", "6*7"]
            q2 = next(r for r in second.runs() if r.source_id == "q2")
            check = q2.evaluation("correct")
            assert q2.reused_from == first.id and check is not None and check.score == 1.0
            print(f"q2 re-scored without a task call: score {check.score} (was 0.0)")

            diff = first.compare(second)
            score = diff.evaluators["correct"]
            print(f"compare: added={diff.added} removed={diff.removed} changed={diff.changed}"
                  f" correct {score.mean_a} -> {score.mean_b}")  # fmt: skip


if __name__ == "__main__":
    main()
