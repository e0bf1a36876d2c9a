"""``datasync experiments ls|show|compare``, embedded (--store) and through a live server."""

from __future__ import annotations

from typing import Any

from datasync import Client, run_experiment
from datasync.store import Store
from tests.cli.conftest import Run

ROWS = [{"id": f"q{i}", "input": {"n": i}, "output": {"n": i}} for i in range(4)]


def _double(input: dict[str, Any]) -> dict[str, Any]:
    return {"n": input["n"] * 2}


def _exact(output: Any, expected: Any) -> bool:
    return bool(output == expected)


def _two_experiments(store_url: str) -> tuple[int, int]:
    with Client(store=store_url) as client:
        v1 = client.datasets.upsert_dataset("qa", ROWS)
        a = run_experiment(v1, _double, [_exact], client=client, tags={"env": "ci"})
        v2 = client.datasets.upsert_dataset("qa", [*ROWS[1:], {"id": "q9", "input": {"n": 0}}])
        b = run_experiment(v2, _double, [_exact], client=client)
        return a.id, b.id


def test_ls_show_and_compare_print_what_the_store_holds(
    run: Run, store_url: str, store: Store
) -> None:
    a, b = _two_experiments(store_url)
    code, out = run("experiments", "ls", "--dataset", "qa")
    listed = out["experiments"]
    assert code == 0 and [e["id"] for e in listed] == [b, a]
    assert [(e["ran"], e["reused"]) for e in listed] == [(1, 3), (4, 0)]
    code, tagged = run("experiments", "ls", "--tag", "env=ci")
    assert [e["id"] for e in tagged["experiments"]] == [a]
    code, shown = run("experiments", "show", str(b))
    assert code == 0 and shown["reused_from_id"] == a
    assert [r["source_id"] for r in shown["items"]] == ["q1", "q2", "q3", "q9"]
    assert shown["scores"]["_exact"]["mean"] == store.get_experiment(b).scores["_exact"].mean
    code, diff = run("experiments", "compare", str(a), str(b))
    assert (diff["added"], diff["removed"]) == (["q9"], ["q0"])
    assert diff["evaluators"]["_exact"]["mean_a"] == 0.25  # only n=0 doubles to itself
    code, text = run("experiments", "compare", str(a), str(b), as_json=False)
    assert code == 0 and "1 added, 1 removed" in text


def test_a_missing_experiment_exits_1_with_its_code(run: Run) -> None:
    code, body = run("experiments", "show", "4242")
    assert code == 1 and body["error"]["code"] == "experiment_not_found"
