"""The store-free experiment logic: binding, fingerprints, results, the runner, compare."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from datasync.canonical import content_hash
from datasync.errors import UsageError, ValidationError
from datasync.experiments import (
    ScoreError,
    bind,
    compare_runs,
    evaluators_of,
    fingerprint,
    normalize_result,
    run_calls,
    seen_hash,
)
from datasync.sync import ExampleData
from datasync.sync.experiment_records import EvaluationRecord, RunRecord

EXAMPLE = ExampleData("e1", {"q": "2+2"}, {"a": "4"}, {"split": "test"})


# --- binding ------------------------------------------------------------------------------


def test_a_single_unnamed_parameter_gets_the_input() -> None:
    binding = bind(lambda question: question["q"])
    assert binding.call(EXAMPLE) == "2+2"
    assert binding.parts == ("input",)


def test_parameters_bind_by_name_in_any_order() -> None:
    def task(metadata: Any, expected: Any, input: Any) -> Any:
        return [input["q"], expected["a"], metadata["split"]]

    binding = bind(task)
    assert binding.call(EXAMPLE) == ["2+2", "4", "test"]
    assert binding.parts == ("input", "metadata", "output")


def test_example_binding_sees_everything_and_its_seen_hash_is_the_content_hash() -> None:
    binding = bind(lambda example: (example.source_id, dict(example)))
    assert binding.call(EXAMPLE)[0] == "e1"
    assert seen_hash(EXAMPLE, binding) == content_hash(
        EXAMPLE.input, EXAMPLE.output, EXAMPLE.metadata
    )


def test_an_evaluators_single_parameter_gets_the_output() -> None:
    binding = bind(lambda out: out == {"a": "4"}, evaluator=True)
    assert binding.call(EXAMPLE, {"a": "4"}) is True


def test_kwargs_receive_every_name() -> None:
    binding = bind(lambda **kw: sorted(kw))
    assert binding.call(EXAMPLE) == ["example", "expected", "input", "metadata"]


def test_a_parameter_that_cannot_be_bound_is_a_usage_error_naming_it() -> None:
    def task(input: Any, model: Any) -> Any:
        return input

    with pytest.raises(UsageError) as caught:
        bind(task)
    assert caught.value.code == "unbound_parameter"
    assert "'model'" in caught.value.message and "task" in caught.value.message
    with pytest.raises(UsageError, match="output"):
        bind(lambda input, output: output)  # a task has no output to see
    with pytest.raises(UsageError):
        bind(42)  # type: ignore[arg-type]


def test_async_functions_are_detected() -> None:
    async def task(input: Any) -> Any:
        return input

    assert bind(task).is_async
    assert not bind(lambda input: input).is_async


# --- fingerprints -------------------------------------------------------------------------


def test_an_explicit_task_version_is_the_fingerprint() -> None:
    assert fingerprint(lambda x: x, "v3") == "version:v3"
    assert fingerprint(lambda y: y + 1, "v3") == "version:v3"
    with pytest.raises(UsageError):
        fingerprint(lambda x: x, "")


def test_a_derived_fingerprint_follows_the_code() -> None:
    def one(input: Any) -> Any:
        return input["q"]

    def two(input: Any) -> Any:
        return input["q"] + "!"

    assert fingerprint(one) == fingerprint(one)
    assert fingerprint(one).startswith("code:") and len(fingerprint(one)) == 37
    assert fingerprint(one) != fingerprint(two)


def test_fingerprint_of_code_without_source_uses_the_bytecode() -> None:
    namespace: dict[str, Any] = {}
    exec("def made(input):\n    return input", namespace)  # no source file to read
    exec("def other(input):\n    return None", namespace)
    assert fingerprint(namespace["made"]).startswith("code:")
    assert fingerprint(namespace["made"]) != fingerprint(namespace["other"])


# --- evaluator results --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        (True, EvaluationRecord("e", 1.0, "true")),
        (False, EvaluationRecord("e", 0.0, "false")),
        (3, EvaluationRecord("e", 3.0)),
        (0.25, EvaluationRecord("e", 0.25)),
        ("good", EvaluationRecord("e", label="good")),
        (None, EvaluationRecord("e")),
        (
            {"score": 0.5, "label": "ok", "explanation": "why"},
            EvaluationRecord("e", 0.5, "ok", "why"),
        ),
        ({"label": "x"}, EvaluationRecord("e", label="x")),
    ],
)
def test_evaluator_results_normalize(returned: Any, expected: EvaluationRecord) -> None:
    assert normalize_result("e", returned) == expected


@pytest.mark.parametrize(
    "returned", [[1], {"score": "high"}, {"grade": 1}, float("nan"), {"label": 3}, object()]
)
def test_results_that_are_not_scores_are_refused(returned: Any) -> None:
    with pytest.raises(ScoreError):
        normalize_result("e", returned)


def test_evaluators_are_named_by_function_or_explicitly() -> None:
    def exact(output: Any, expected: Any) -> bool:
        return bool(output == expected)

    named = evaluators_of([exact, ("len", lambda output: len(output))])
    assert [e.name for e in named] == ["exact", "len"]
    assert [e.name for e in evaluators_of({"a": exact})] == ["a"]
    with pytest.raises(UsageError, match="two evaluators"):
        evaluators_of([exact, exact])
    with pytest.raises(ValidationError) as caught:
        evaluators_of([lambda output: 1])
    assert caught.value.code == "invalid_evaluator_name"


# --- runner -------------------------------------------------------------------------------


class _Gauge:
    """Counts calls in flight and remembers the most seen at once."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.lock = threading.Lock()

    def enter(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        with self.lock:
            self.now -= 1


def test_sync_calls_never_exceed_the_concurrency_bound() -> None:
    gauge = _Gauge()

    def call(i: int) -> int:
        gauge.enter()
        time.sleep(0.02)
        gauge.leave()
        return i * 2

    got: dict[int, Any] = {}
    calls = [lambda i=i: call(i) for i in range(24)]
    run_calls(calls, lambda i, o: got.__setitem__(i, o.value), is_async=False, concurrency=3)
    assert got == {i: i * 2 for i in range(24)}
    assert gauge.peak == 3


def test_async_calls_never_exceed_the_concurrency_bound() -> None:
    gauge = _Gauge()

    async def call(i: int) -> int:
        gauge.enter()
        await asyncio.sleep(0.01)
        gauge.leave()
        return i

    got: dict[int, Any] = {}
    calls = [lambda i=i: call(i) for i in range(30)]
    run_calls(calls, lambda i, o: got.__setitem__(i, o.value), is_async=True, concurrency=4)
    assert got == {i: i for i in range(30)}
    assert gauge.peak == 4


@pytest.mark.parametrize("is_async", [False, True])
def test_a_call_over_the_timeout_is_recorded_and_the_rest_go_on(is_async: bool) -> None:
    release = threading.Event()

    def slow_sync() -> str:
        release.wait(5)
        return "late"

    async def slow_async() -> str:
        await asyncio.sleep(5)
        return "late"

    def boom() -> None:
        raise ValueError("bad input")

    calls = [slow_async if is_async else slow_sync, lambda: "ok", boom, lambda: "ok2"]
    got: dict[int, Any] = {}
    started = time.monotonic()
    run_calls(calls, got.__setitem__, is_async=is_async, concurrency=1, timeout=0.3)
    release.set()
    assert time.monotonic() - started < 3
    assert got[0].error == "timeout: no result after 0.3 s" and got[0].value is None
    assert (got[1].value, got[1].error) == ("ok", None)
    assert got[2].error == "ValueError: bad input"
    assert got[3].value == "ok2"
    assert got[1].seconds >= 0 and got[1].ended_at >= got[1].started_at


def test_an_error_in_on_done_stops_the_run_and_propagates() -> None:
    seen: list[int] = []

    def on_done(i: int, _: Any) -> None:
        seen.append(i)
        raise RuntimeError("store down")

    with pytest.raises(RuntimeError, match="store down"):
        run_calls([lambda: 1] * 10, on_done, is_async=False, concurrency=1)
    assert len(seen) == 1


# --- compare ------------------------------------------------------------------------------


def _run(sid: str, h: str, score: float | None, error: str | None = None) -> RunRecord:
    evals = () if score is None else (EvaluationRecord("acc", score),)
    return RunRecord(sid, h, "s", None, error, evaluations=evals)


def test_compare_pairs_examples_and_computes_deltas() -> None:
    a = [_run("x", "h1", 1.0), _run("y", "h2", 0.0), _run("gone", "h3", 1.0)]
    b = [_run("x", "h1", 0.0), _run("y", "h2-new", 1.0), _run("new", "h4", 1.0)]
    result = compare_runs(1, a, 2, b)
    assert result.added == ["new"] and result.removed == ["gone"] and result.changed == ["y"]
    rows = {r.source_id: r for r in result.examples}
    assert rows["x"].scores["acc"].delta == -1.0
    assert rows["y"].scores["acc"].delta == 1.0
    assert rows["new"].scores["acc"].delta is None
    acc = result.evaluators["acc"]
    assert (acc.mean_a, acc.mean_b) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert acc.delta == pytest.approx(0.0)
    assert (acc.paired_delta, acc.paired) == (0.0, 2)
    assert result.to_dict()["evaluators"]["acc"]["paired"] == 2
