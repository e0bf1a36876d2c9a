"""The derived task fingerprint sees what the task reads: globals, closure cells, defaults and
helpers of its module; a comment elsewhere in the module changes nothing; what it cannot see
it names once in a FingerprintWarning. Tasks live in real module files, edited and reloaded."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from datasync import Client, FingerprintWarning, run_experiment
from datasync.experiments import fingerprint

MODULE = """
import json

MODEL = "gpt-old"
PROMPT = {"system": "be brief", "stop": ["\\\\n"]}
calls = []  # the task writes to it: state, not configuration


def helper(question):
    return question.strip()  # HELPER


def task(input, style="short"):
    calls.append(input["question"])
    return {"answer": f"{MODEL}/{style}: {helper(input['question'])}", "p": json.dumps(PROMPT)}


def make(prefix):
    def closed(input):
        return prefix + input["question"]
    return closed
# TAIL
"""


@pytest.fixture
def load(tmp_path: Path) -> Iterator[Callable[[str], ModuleType]]:
    """Write ``text`` as a fresh module file and import it (a new name each time)."""
    names: list[str] = []

    def write_and_import(text: str) -> ModuleType:
        name = f"ds_task_{uuid.uuid4().hex[:8]}"
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(text))
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        names.append(name)
        return module

    yield write_and_import
    for name in names:
        sys.modules.pop(name, None)


def test_a_global_string_a_default_and_a_helper_body_each_change_it(
    load: Callable[[str], ModuleType],
) -> None:
    base = load(MODULE)
    fp = fingerprint(base.task)
    assert fingerprint(load(MODULE).task) == fp  # same text: same fingerprint
    base.MODEL = "gpt-new"
    assert fingerprint(base.task) != fp
    base.MODEL = "gpt-old"
    assert fingerprint(base.task) == fp
    base.PROMPT["stop"].append(".")  # a nested value of a global it names
    assert fingerprint(base.task) != fp
    base.PROMPT["stop"].pop()
    assert fingerprint(base.task) == fp
    base.task.__defaults__ = ("long",)  # the default's value, the source text unchanged
    assert fingerprint(base.task) != fp
    assert fingerprint(load(MODULE.replace("question.strip()", "question.lower()")).task) != fp


def test_a_comment_elsewhere_or_a_list_the_task_appends_to_changes_nothing(
    load: Callable[[str], ModuleType],
) -> None:
    base = load(MODULE)
    fp = fingerprint(base.task)
    assert fingerprint(load(MODULE.replace("# TAIL", "# a comment added below")).task) == fp
    base.task({"question": "x"})  # appends to `calls`
    assert fingerprint(base.task) == fp


def test_a_closure_value_changes_it(load: Callable[[str], ModuleType]) -> None:
    module = load(MODULE)
    assert fingerprint(module.make("a: ")) == fingerprint(module.make("a: "))
    assert fingerprint(module.make("a: ")) != fingerprint(module.make("b: "))


def test_an_explicit_task_version_wins(load: Callable[[str], ModuleType]) -> None:
    module = load(MODULE)
    module.MODEL = "anything"
    assert fingerprint(module.task, "v3") == "version:v3"


def test_an_object_it_cannot_see_is_named_once_in_a_warning() -> None:
    class ModelClient:
        def complete(self, text: str) -> str:
            return text

    client = ModelClient()
    lock = threading.Lock()

    def uses_client(input: dict[str, Any]) -> str:
        with lock:  # a lock carries no behaviour: no warning for it
            return client.complete(input["question"])

    with pytest.warns(FingerprintWarning, match="'client'.*task_version") as caught:
        first = fingerprint(uses_client)
    assert len(caught) == 1 and "lock" not in str(caught[0].message)
    assert fingerprint(uses_client) == first  # warned once: no second warning (error filter)


def test_changing_the_global_model_reruns_the_task_and_keeping_it_reuses(
    load: Callable[[str], ModuleType], client: Client
) -> None:
    module = load(MODULE)
    rows = [{"id": "q1", "input": {"question": " hi "}, "output": {}}]
    v1 = client.datasets.upsert_dataset("fp", rows)
    first = run_experiment(v1, module.task, experiment_name="a", client=client)
    again = run_experiment(v1, module.task, experiment_name="b", client=client)
    assert (first.ran, again.ran, again.reused) == (1, 0, 1)
    module.MODEL = "gpt-new"
    changed = run_experiment(v1, module.task, experiment_name="c", client=client)
    assert (changed.ran, changed.reused) == (1, 0)
    assert next(changed.runs()).output["answer"] == "gpt-new/short: hi"
