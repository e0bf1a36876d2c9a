"""``datasync experiments ls|show|compare``: recorded experiments, their scores and deltas."""

from __future__ import annotations

import argparse
import json
from typing import Any

from datasync.cli._connection import add_connection_args, connect, fail_json, tag_pair
from datasync.errors import DatasyncError


def register(subparsers: Any) -> None:
    """Add the ``experiments`` subcommand with ``ls``, ``show`` and ``compare``."""
    parser = subparsers.add_parser(
        "experiments",
        help="list, show and compare experiments",
        description="Experiments recorded by run_experiment (docs/experiments.md)."
        " Exit 0, 1 error (e.g. no such experiment), 2 usage.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = actions.add_parser("ls", help="list experiments, newest first")
    ls.add_argument("--dataset", metavar="NAME", help="only experiments of this dataset")
    ls.add_argument("--name", metavar="NAME", help="only experiments of this name")
    ls.add_argument(
        "--tag", type=tag_pair, action="append", default=[], metavar="K=V",
        help="only experiments tagged K=V (repeat: all must hold)",
    )  # fmt: skip
    ls.add_argument(
        "--json", action="store_true", help='one JSON object: {"target", "experiments": [...]}'
    )
    show = actions.add_parser("show", help="an experiment: counts, scores, runs")
    show.add_argument("id", type=int, metavar="ID")
    show.add_argument("--json", action="store_true", help="the experiment and its runs as JSON")
    compare = actions.add_parser("compare", help="experiment A against B, example by example")
    compare.add_argument("a", type=int, metavar="A")
    compare.add_argument("b", type=int, metavar="B")
    compare.add_argument("--json", action="store_true", help="the comparison as JSON")
    for sub in (ls, show, compare):
        add_connection_args(sub)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Do the action; returns the exit code."""
    try:
        with connect(args) as client:
            target = client.target
            if args.action == "ls":
                items = client.experiments.list(args.dataset, args.name, dict(args.tag))
                data: Any = [e.to_dict() for e in items]
            elif args.action == "show":
                exp = client.experiments.get(args.id)
                data = {**exp.to_dict(), "items": [r.to_wire() for r in exp.runs()]}
            else:
                data = client.experiments.compare(args.a, args.b).to_dict()
    except DatasyncError as exc:
        if args.json:
            return fail_json(exc)
        raise
    if args.json:
        if args.action == "ls":
            out = {"target": target, "experiments": data}
        else:
            out = {"target": target, **data}
        print(json.dumps(out, ensure_ascii=False))
        return 0
    if args.action == "ls":
        _print_list(data)
    elif args.action == "show":
        _print_show(data)
    else:
        _print_compare(data)
    return 0


def _scores(scores: dict[str, Any]) -> str:
    return " ".join(
        f"{k}={'-' if v['mean'] is None else format(v['mean'], '.3f')}"
        for k, v in sorted(scores.items())
    )


def _table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    Console(width=140).print(table)


def _print_list(items: list[dict[str, Any]]) -> None:
    rows = [
        [
            str(e["id"]),
            e["name"],
            f"{e['dataset']}@{e['version_id']}",
            e["status"],
            str(e["ran"]),
            str(e["reused"]),
            str(e["errors"]),
            _scores(e["scores"]),
            " ".join(f"{k}={v}" for k, v in sorted(e["tags"].items())),
        ]
        for e in items
    ]
    columns = ["id", "name", "dataset@version", "status", "ran", "reused", "errors", "scores"]
    _table(f"{len(items)} experiment(s)", [*columns, "tags"], rows)


def _reuse_text(sources: list[dict[str, Any]]) -> str:
    """``reused 1 from experiment 3 'support-v1'`` per source (as ``Experiment.reuse_summary``)."""
    return ", ".join(
        f"reused {s['count']} from experiment {s['experiment_id']} {s['name']!r}" for s in sources
    )


def _print_show(data: dict[str, Any]) -> None:
    print(
        f"experiment {data['id']} {data['name']!r} on {data['dataset']}@{data['version_id']}"
        f" ({data['status']}): ran={data['ran']} reused={data['reused']}"
        f" errors={data['errors']}  {_scores(data['scores'])}"
    )
    if data.get("reused_sources"):
        print(_reuse_text(data["reused_sources"]))
    rows = [
        [
            r["source_id"],
            f"reused from {r['reused_from']}" if r["reused_from"] else "ran",
            (r["error"] or json.dumps(r["output"], ensure_ascii=False))[:60],
            " ".join(_evaluation_text(e) for e in r["evaluations"]),
        ]
        for r in data["items"]
    ]
    _table(f"{len(rows)} run(s)", ["source_id", "", "output / error", "evaluations"], rows)


def _evaluation_text(e: dict[str, Any]) -> str:
    if e["error"]:
        return f"{e['name']}=error"
    value = e["label"] if e["score"] is None else f"{e['score']:g}"
    return f"{e['name']}={value}"


def _differs(e: dict[str, Any]) -> bool:
    deltas = [s["delta"] for s in e["scores"].values()]
    return e["status"] != "both" or e["content_changed"] or any(deltas)


def _print_compare(data: dict[str, Any]) -> None:
    print(
        f"A={data['a']} B={data['b']}: {len(data['added'])} added, {len(data['removed'])}"
        f" removed, {len(data['changed'])} changed"
    )

    def num(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    rows = [
        [name, num(e["mean_a"]), num(e["mean_b"]), num(e["delta"]), num(e["paired_delta"])]
        for name, e in data["evaluators"].items()
    ]
    _table("scores", ["evaluator", "mean A", "mean B", "delta", "paired delta"], rows)
    changed = [
        [e["source_id"], e["status"], *(num(s["delta"]) for s in e["scores"].values())]
        for e in data["examples"]
        if _differs(e)
    ]
    if changed:
        _table("examples that differ", ["source_id", "status", *data["evaluators"]], changed)
