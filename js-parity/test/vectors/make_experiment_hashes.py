"""Write experiment_hashes.json: the reuse hashes of Python's run_experiment (docs/experiments.md).

Run once by hand from the repository root
(`python js-parity/test/vectors/make_experiment_hashes.py`) when the reuse rule changes on
purpose; the file is reviewed data. `npm test` checks the TypeScript client against it
(test/client.experiments.test.ts) and tests/parity/test_ts_client.py checks that Python still
produces every value in it.

Each case names the parts the function sees as TypeScript spells them (`taskSees`, an
evaluator's `sees`) and, as `python`, the parameters of the Python function bound the same
way: the hashes come from binding a real Python function with those parameters.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from datasync.canonical import content_hash
from datasync.experiments import bind, evaluation_hash, fingerprint, seen_hash
from datasync.sync import ExampleData

OUT = Path(__file__).with_name("experiment_hashes.json")

EXAMPLES: list[dict[str, Any]] = [
    {"input": {"question": "2+2"}, "output": {"answer": "4"}, "metadata": {}},
    {
        "input": {"q": "é😀\ue000", "x": [0.1, 1e21, -0.0, 2**53, 5e-324]},
        "output": {},
        "metadata": {"split": "test"},
    },
    {
        "input": {},
        "output": {"a": None, "ok": True},
        "metadata": {"nested": {"k": [1, {"z": "\u2028"}]}},
    },
]
TASKS: list[tuple[list[str], str]] = [
    (["input"], "input"),
    (["expected"], "expected"),
    (["metadata"], "metadata"),
    (["input", "expected"], "input, expected"),
    (["input", "metadata"], "metadata, input"),
    (["expected", "metadata"], "expected, metadata"),
    (["input", "expected", "metadata"], "example"),
]
EVALUATORS: list[tuple[list[str], str]] = [
    (["output"], "output"),
    (["output", "expected"], "output, expected"),
    (["expected"], "expected"),
    (["input", "output"], "input, output"),
    (["output", "input", "expected", "metadata"], "output, example"),
]
OUTPUTS: list[Any] = [{"answer": "4"}, 1e21, "é😀", None, [1, -0.0, 0.5], True]
VERSIONS = ["v1", "é😀", "x" * 200]


def _function(params: str) -> Any:
    scope: dict[str, Any] = {}
    exec(f"def f({params}):\n    return None\n", scope)
    return scope["f"]


def _example(n: int, content: dict[str, Any]) -> ExampleData:
    return ExampleData(f"ex-{n}", content["input"], content["output"], content["metadata"])


def build() -> dict[str, Any]:
    """Every vector, computed by Python's reuse code."""
    tasks = []
    for n, content in enumerate(EXAMPLES):
        example = _example(n, content)
        for sees, params in TASKS:
            want = seen_hash(example, bind(_function(params)))
            tasks.append({"example": n, "taskSees": sees, "python": params, "seen_hash": want})
    evaluations = []
    for n, content in enumerate(EXAMPLES):
        example = _example(n, content)
        for sees, params in EVALUATORS:
            for output in OUTPUTS:
                want = evaluation_hash(example, bind(_function(params), evaluator=True), output)
                evaluations.append(
                    {
                        "example": n,
                        "sees": sees,
                        "python": params,
                        "output": output,
                        "seen_hash": want,
                    }
                )
    versions = [{"taskVersion": v, "fingerprint": fingerprint(len, v)} for v in VERSIONS]
    hashes = [content_hash(c["input"], c["output"], c["metadata"]) for c in EXAMPLES]
    return {
        "examples": EXAMPLES,
        "content_hashes": hashes,
        "tasks": tasks,
        "evaluations": evaluations,
        "versions": versions,
    }


if __name__ == "__main__":
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
