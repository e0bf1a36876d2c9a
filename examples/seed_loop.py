"""The seed plan's Python loop, as its users write it (only the imports adapted: ``datasync``
for ``phoenix.client``): upsert v1, run an experiment, upsert v2, run again.

The task reads ``example['input']['question']`` (examples are mappings), and the second
experiment, although it has another name, runs only the new example q3 and reuses q1 from the
first (same task, same input): ``reused 1 from experiment N 'support-v1'``.

Runs on a fresh embedded store in a temporary directory, or against the server DATASYNC_URL
names (with DATASYNC_API_KEY).

    python examples/seed_loop.py
"""

from __future__ import annotations

import os
import tempfile

if not os.environ.get("DATASYNC_URL"):  # a fresh store: the checks below count task calls
    os.environ["DATASYNC_STORE"] = os.path.join(tempfile.mkdtemp(), "store.sqlite")

# ---- the seed's code, as written ------------------------------------------------------------
# fmt: off
from datasync import Client  # noqa: I001 - was: from phoenix.client import Client
from datasync import run_experiment  # was: from phoenix.client.experiments import ...

client = Client()

examples_v1 = [
    {"id": "q1", "input": {"question": "What is AI?"}, "output": {"answer": "..."}, "metadata": {}},
    {"id": "q2", "input": {"question": "What is ML?"}, "output": {"answer": "..."}, "metadata": {}},
]

dataset_v1 = client.datasets.upsert_dataset(
    dataset="support-benchmark",
    examples=examples_v1,
    source_id_key="id",  # stable external identity
)


def task(example):
    return {"answer": f"stub: {example['input']['question']}"}


exp_v1 = run_experiment(
    dataset=dataset_v1,
    task=task,
    experiment_name="support-v1",
)

examples_v2 = [
    {"id": "q1", "input": {"question": "What is AI?"}, "output": {"answer": "Artificial Intelligence"}, "metadata": {}},  # noqa: E501 - as written
    {"id": "q3", "input": {"question": "What is RL?"}, "output": {"answer": "..."}, "metadata": {}},
]

dataset_v2 = client.datasets.upsert_dataset(
    dataset="support-benchmark",
    examples=examples_v2,
    source_id_key="id",
)

exp_v2 = run_experiment(
    dataset=dataset_v2,
    task=task,
    experiment_name="support-v2",
)
# fmt: on
# ---- what it did ------------------------------------------------------------------------------

print(f"v1: version {dataset_v1.version_id} {dataset_v1.summary}")
print(f"{exp_v1.name}: ran={exp_v1.ran} reused={exp_v1.reused} errors={exp_v1.errors}")
print(f"v2: version {dataset_v2.version_id} added={dataset_v2.summary.added}"
      f" updated={dataset_v2.summary.updated} deleted={dataset_v2.summary.deleted}")  # fmt: skip
print(f"{exp_v2.name}: ran={exp_v2.ran} {exp_v2.reuse_summary} errors={exp_v2.errors}")
for run in exp_v2.runs():
    where = f"reused from experiment {run.reused_from}" if run.reused_from else "ran"
    print(f"  {run.source_id}: {run.output} ({where})")

summary = dataset_v2.summary
assert (summary.added, summary.updated, summary.deleted, summary.unchanged) == (1, 1, 1, 0)
assert (exp_v1.ran, exp_v1.errors) == (2, 0), exp_v1
assert (exp_v2.ran, exp_v2.reused, exp_v2.errors) == (1, 1, 0), exp_v2
ran = {r.source_id: r.reused_from for r in exp_v2.runs()}
assert ran == {"q1": exp_v1.id, "q3": None}, ran
assert exp_v2.reuse_summary == f"reused 1 from experiment {exp_v1.id} 'support-v1'"
client.close()
