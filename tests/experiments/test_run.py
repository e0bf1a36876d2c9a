"""run_experiment end to end: embedded and through a live server, on SQLite and PostgreSQL.

Every test asserts on what the store holds (runs, evaluations, counts), read back through a
fresh client or the store itself.
"""

from __future__ import annotations

import _thread
import asyncio
import threading
from typing import Any

import pytest

from datasync import Client, NotFoundError, run_experiment
from datasync.errors import TagError, UsageError
from datasync.store import Store

ROWS: list[dict[str, Any]] = [
    {
        "id": f"q{i}",
        "input": {"q": f"{i}+{i}"},
        "output": {"a": str(2 * i)},
        "metadata": {"k": i % 2},
    }
    for i in range(6)
]


class Calls:
    """A task that records which questions it was asked (thread-safe)."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, input: dict[str, Any]) -> dict[str, str]:
        with self.lock:
            self.asked.append(input["q"])
        left, right = input["q"].split("+")
        return {"a": str(int(left) + int(right))}


def exact(output: Any, expected: Any) -> bool:
    return bool(output == expected)


def _v2_rows() -> list[dict[str, Any]]:
    rows = [dict(r) for r in ROWS]
    rows[0] = {**rows[0], "input": {"q": "10+10"}}  # input changed: the task must run
    rows[1] = {**rows[1], "output": {"a": "wrong"}}  # expected corrected: re-score only
    del rows[2]  # removed: drops out
    rows.append({"id": "q9", "input": {"q": "9+9"}, "output": {"a": "18"}})  # added: runs
    return rows


def test_rerun_runs_only_what_the_task_sees_changed_and_rescores_the_rest(client: Client) -> None:
    v1 = client.datasets.upsert_dataset("qa", ROWS)
    task = Calls()
    first = run_experiment(v1, task, [exact], experiment_name="loop", client=client)
    assert (first.ran, first.reused, first.errors) == (6, 0, 0)
    assert first.scores == {"exact": 1.0}
    assert sorted(task.asked) == sorted(r["input"]["q"] for r in ROWS)

    v2 = client.datasets.upsert_dataset("qa", _v2_rows())
    task.asked.clear()
    second = client.experiments.run(v2, task, [exact], experiment_name="loop")
    assert sorted(task.asked) == ["10+10", "9+9"]
    assert (second.ran, second.reused, second.errors) == (2, 4, 0)
    assert second.version_id == v2.version_id and second.info.reused_from_id == first.id

    runs = {r.source_id: r for r in client.experiments.get(second.id).runs()}
    assert sorted(runs) == ["q0", "q1", "q3", "q4", "q5", "q9"]  # q2 dropped out
    assert runs["q0"].output == {"a": "20"} and runs["q0"].reused_from is None
    assert runs["q1"].reused_from == first.id and runs["q1"].output == {"a": "2"}
    by_source = {sid: run.evaluation("exact") for sid, run in runs.items()}
    assert by_source["q1"] is not None and by_source["q1"].score == 0.0
    assert not by_source["q1"].reused  # re-scored: what the evaluator sees changed
    assert by_source["q3"] is not None and by_source["q3"].reused
    assert by_source["q0"] is not None and by_source["q0"].score == 0.0  # 20 != "0"
    assert second.scores["exact"] == pytest.approx(4 / 6)


def test_pinned_experiment_keeps_reading_its_version_after_later_pushes(
    client: Client, store: Store
) -> None:
    v1 = client.datasets.upsert_dataset("qa", ROWS)
    client.datasets.upsert_dataset("qa", _v2_rows())  # the head moves on
    task = Calls()
    exp = run_experiment(("qa", v1.version_id), task, client=client, experiment_name="old")
    assert exp.version_id == v1.version_id
    assert sorted(task.asked) == sorted(r["input"]["q"] for r in ROWS)
    v1_hashes = {e.source_id: e.hash for e in v1.examples()}
    assert {r.source_id: r.content_hash for r in exp.runs()} == v1_hashes
    client.datasets.upsert_dataset("qa", ROWS[:1])  # and again
    again = store.get_experiment(exp.id)
    assert again.version_id == v1.version_id and again.ran == 6
    assert len(store.list_runs(exp.id).items) == 6


def test_task_errors_timeouts_and_non_json_outputs_are_recorded_and_the_rest_go_on(
    client: Client,
) -> None:
    v1 = client.datasets.upsert_dataset("qa", ROWS)
    release = threading.Event()

    def task(input: dict[str, Any]) -> Any:
        q = input["q"]
        if q == "0+0":
            raise ValueError("cannot add zeros")
        if q == "1+1":
            release.wait(10)
        if q == "2+2":
            return {1, 2}  # a set is not JSON
        return q

    exp = run_experiment(v1, task, [exact], client=client, timeout=0.5, concurrency=2)
    release.set()
    runs = {r.source_id: r for r in exp.runs()}
    assert runs["q0"].error == "ValueError: cannot add zeros" and runs["q0"].output is None
    assert runs["q1"].error == "timeout: no result after 0.5 s"
    assert runs["q2"].error is not None and runs["q2"].error.startswith("output is not JSON")
    assert runs["q3"].output == "3+3" and runs["q3"].error is None
    assert (exp.ran, exp.errors) == (6, 3)
    assert runs["q0"].evaluations == () and len(runs["q3"].evaluations) == 1

    # The errors are run again; the rest is reused.
    fixed = Calls()
    exp2 = run_experiment(v1, fixed, client=client, task_version="fixed", reuse_from=exp.id)
    assert (exp2.ran, exp2.reused) == (6, 0)  # another task version: nothing reused
    same = run_experiment(v1, task, [exact], client=client, timeout=5, reuse_from=exp.id)
    # The three errors ran again (q1 now in time; q0 and q2 fail again), the rest was reused.
    assert (same.ran, same.reused, same.errors) == (3, 3, 2)
    assert next(r for r in same.runs() if r.source_id == "q1").output == "1+1"


def test_evaluator_errors_are_recorded_without_losing_the_run_output(client: Client) -> None:
    v1 = client.datasets.upsert_dataset("qa", ROWS[:2])

    def broken(output: Any) -> float:
        raise RuntimeError("judge unavailable")

    def not_a_score(output: Any) -> list[int]:
        return [1]

    exp = run_experiment(v1, Calls(), [exact, broken, not_a_score], client=client)
    for run in exp.runs():
        assert run.output == {"a": str(2 * int(run.source_id[1:]))}
        assert run.evaluation("broken") == run.evaluation("broken") is not None
        assert run.evaluation("broken").error == "RuntimeError: judge unavailable"  # type: ignore[union-attr]
        assert run.evaluation("not_a_score").error.startswith("ScoreError")  # type: ignore[union-attr]
        assert run.evaluation("exact").score == 1.0  # type: ignore[union-attr]
    stats = exp.evaluator_stats
    assert (stats["broken"].errors, stats["broken"].mean) == (2, None)
    assert (stats["exact"].count, stats["exact"].mean) == (2, 1.0)
    # A re-run recomputes the failed evaluations and reuses the good ones.
    again = run_experiment(v1, Calls(), [exact, broken, not_a_score], client=client)
    assert again.reused == 2
    evals = {e.name: e for r in again.runs() for e in r.evaluations}
    assert evals["exact"].reused and not evals["broken"].reused


def test_async_tasks_and_evaluators_run_and_respect_the_bound(client: Client) -> None:
    v1 = client.datasets.upsert_dataset("qa", ROWS)
    state = {"now": 0, "peak": 0}

    async def task(input: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        await asyncio.sleep(0.02)
        state["now"] -= 1
        return {"q": input["q"], "k": metadata.get("k")}

    async def has_k(output: Any, metadata: Any) -> bool:
        await asyncio.sleep(0)
        return bool(output["k"] == metadata.get("k"))

    exp = run_experiment(v1, task, [has_k], client=client, concurrency=2)
    assert state["peak"] == 2
    assert (exp.ran, exp.errors, exp.scores) == (6, 0, {"has_k": 1.0})
    assert {r.source_id: r.output["q"] for r in exp.runs()} == {
        r["id"]: r["input"]["q"] for r in ROWS
    }


def test_what_the_task_binds_decides_reuse(client: Client) -> None:
    v1 = client.datasets.upsert_dataset("qa", ROWS)
    seen: list[str] = []

    def by_input(input: dict[str, Any]) -> str:
        seen.append(input["q"])
        return str(input["q"])

    def by_example(example: Any) -> str:
        seen.append(example.source_id)
        return str(dict(example))  # the whole example: a metadata change re-runs it

    run_experiment(v1, by_input, client=client, experiment_name="in")
    run_experiment(v1, by_example, client=client, experiment_name="ex")
    changed = [dict(r, metadata={"k": 99}) if r["id"] == "q3" else r for r in ROWS]
    v2 = client.datasets.upsert_dataset("qa", changed)
    seen.clear()
    assert run_experiment(v2, by_input, client=client, experiment_name="in").ran == 0
    assert run_experiment(v2, by_example, client=client, experiment_name="ex").ran == 1
    assert seen == ["q3"]
    assert run_experiment(v2, by_input, client=client, experiment_name="in", reuse="none").ran == 6


def test_where_selects_examples_by_metadata_and_tags_filter_listings(client: Client) -> None:
    v1 = client.datasets.upsert_dataset("qa", ROWS)
    odd = run_experiment(v1, Calls(), client=client, where={"k": 1}, tags={"env": "ci"})
    assert sorted(r.source_id for r in odd.runs()) == ["q1", "q3", "q5"]
    run_experiment(v1, Calls(), client=client, experiment_name="other", tags={"env": "prod"})
    listed = client.experiments.list(dataset="qa", tags={"env": "ci"})
    assert [e.id for e in listed] == [odd.id] and listed[0].tags == {"env": "ci"}
    assert len(client.experiments.list(tags={"env": None})) == 2
    assert [e.name for e in client.experiments.list(name="other")] == ["other"]
    with pytest.raises(TagError):
        run_experiment(v1, Calls(), client=client, tags={"Bad Key": "x"})
    with pytest.raises(NotFoundError):
        client.experiments.get(999_999)
    with pytest.raises(NotFoundError):
        run_experiment(("qa", 999_999), Calls(), client=client)
    with pytest.raises(UsageError):
        run_experiment(v1, Calls(), client=client, concurrency=0)


def test_compare_two_versions(client: Client) -> None:
    v1 = client.datasets.upsert_dataset("qa", ROWS)
    a = run_experiment(v1, Calls(), [exact], client=client, experiment_name="cmp")
    v2 = client.datasets.upsert_dataset("qa", _v2_rows())
    b = run_experiment(v2, Calls(), [exact], client=client, experiment_name="cmp")
    result = client.experiments.compare(a.id, b.id)
    assert (result.added, result.removed) == (["q9"], ["q2"])
    assert sorted(result.changed) == ["q0", "q1"]
    rows = {r.source_id: r for r in result.examples}
    assert rows["q1"].scores["exact"].delta == -1.0 and rows["q3"].scores["exact"].delta == 0.0
    agg = result.evaluators["exact"]
    assert (agg.mean_a, agg.paired, agg.paired_delta) == (1.0, 5, pytest.approx(-2 / 5))


def test_ctrl_c_keeps_what_finished_and_marks_the_experiment_interrupted(
    client: Client, store: Store
) -> None:
    v1 = client.datasets.upsert_dataset("qa", ROWS)
    gate = threading.Event()

    def task(input: dict[str, Any]) -> str:
        if input["q"] == "3+3" and not gate.is_set():
            _thread.interrupt_main()  # what Ctrl-C does
            gate.wait(2)
        return str(input["q"])

    with pytest.raises(KeyboardInterrupt):
        run_experiment(v1, task, client=client, concurrency=1, experiment_name="stop")
    gate.set()
    (info,) = store.list_experiments(name="stop").items
    assert info.status == "interrupted"
    kept = {r.source_id for r in store.list_runs(info.id).items}
    assert {"q0", "q1", "q2"} <= kept and "q5" not in kept
    resumed = run_experiment(v1, task, client=client, experiment_name="stop")
    assert (resumed.reused, resumed.ran) == (len(kept), 6 - len(kept))  # picks up where it was
