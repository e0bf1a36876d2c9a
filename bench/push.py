"""Push against a real ``datasync serve`` on SQLite and PostgreSQL: time, bytes, memory.

For each store it starts ``datasync serve`` on 127.0.0.1, writes N QA examples as JSONL
(default 100,000; ``--big``: 1,000,000) and runs ``datasync push --json`` three times:

1. ``initial``: every example is new;
2. ``1% change``: 1% of the examples patched, 0.5% deleted, 0.5% created;
3. ``no-op``: the same file again.

It prints, per step: seconds (wall clock of the command, and as the push reports it), bytes
sent and received, the client's and the server's peak RSS, examples/s stored, and the ratios
against the targets of issue 10 — all from this one run. PostgreSQL runs in a database
created for the run and dropped after it (``--pg``, default the test server).

    python bench/push.py [--examples 100000] [--big] [--store sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
KIB, MIB = 1024, 1024 * 1024

# Targets (issue 10).
CHANGE_RATIO = 0.05  # the 1% change moves at most 5% of the initial push's bytes
NOOP_BYTES = 64 * KIB
NOOP_SECONDS = 2.0
INITIAL_RATE = 20_000  # examples/s stored by the initial push
CLIENT_RSS_1M = 400 * MIB


def context(i: int, varied: bool) -> str:
    if not varied:  # repetitive filler: gzip shrinks it ~8x, the hardest case for the ratio
        return f"Passage {i}: " + "lorem ipsum dolor sit amet " * 8
    words = ("the", "model", "data", "answer", "river", "city", "number", "paper", "light")
    return f"Passage {i}: " + " ".join(words[(i * 7 + k * k) % len(words)] for k in range(40))


def write_rows(path: Path, n: int, changed: bool, varied: bool) -> None:
    """N examples; ``changed``: 1% patched (i % 100 == 0), 0.5% deleted (i % 200 == 7),
    0.5% created (ids n, n+1, ...)."""
    with path.open("w") as out:
        for i in range(n + (n // 200 if changed else 0)):
            if changed and i < n and i % 200 == 7:
                continue
            edited = changed and i < n and i % 100 == 0
            row = {
                "id": f"ex-{i:07d}",
                "input": {
                    "question": f"In the passage about item {i}, what does the author conclude?",
                    "context": context(i, varied),
                },
                "output": {"answer": f"answer {i}" + (" (edited)" if edited else "")},
                "metadata": {"split": "test" if i % 5 == 0 else "train", "source": "bench"},
            }
            out.write(json.dumps(row) + "\n")


@dataclass
class Step:
    label: str
    result: dict[str, object]
    wall: float
    client_rss: int  # bytes

    @property
    def moved(self) -> int:
        return int(str(self.result["bytes_sent"])) + int(str(self.result["bytes_received"]))


def push(path: Path, url: str) -> Step:
    """``datasync push --json`` in a child process; its result, wall time and peak RSS."""
    argv = [sys.executable, "-m", "datasync", "push", str(path), "--dataset", "bench", "--json"]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen([*argv, "--server", url], stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        if child.returncode != 0:
            err.seek(0)
            raise SystemExit(f"push failed ({child.returncode}): {err.read().decode()}")
        out.seek(0)
        result = json.loads(out.read())
    return Step("", result, wall, usage.ru_maxrss * 1024)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss(pid: int) -> int:
    """VmHWM of a live process, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


@contextmanager
def server(db: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "DATASYNC_API_KEY"}
    argv = [sys.executable, "-m", "datasync", "serve", "--db", db, "--port", str(port)]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(400):
            try:
                httpx.get(f"{url}/v1/health").raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(60)


@contextmanager
def store_url(kind: str, tmp: str, pg_admin: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"{tmp}/server.sqlite"
        return
    name = f"datasync_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_admin, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(pg_admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def run(kind: str, n: int, files: tuple[Path, Path], pg_admin: str) -> tuple[list[Step], int]:
    """The three pushes against one store; the steps and the server's peak RSS."""
    initial, changed = files
    with (
        tempfile.TemporaryDirectory() as tmp,
        store_url(kind, tmp, pg_admin) as db,
        server(db) as (url, proc),
    ):
        steps = []
        for label, path in (("initial", initial), ("1% change", changed), ("no-op", changed)):
            step = push(path, url)
            step.label = label
            steps.append(step)
        return steps, peak_rss(proc.pid)


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(kind: str, n: int, steps: list[Step], server_rss: int) -> None:
    print(f"\n== {kind}: {n:,} examples; server peak RSS {server_rss / MIB:.0f} MiB")
    head = (
        f"{'step':<10} {'wall s':>7} {'push s':>7} {'sent B':>11} {'recv B':>9}"
        f" {'% of initial':>12} {'client RSS':>10} {'examples/s':>10}  summary"
    )
    print(head)
    first = steps[0].moved
    for s in steps:
        summary = s.result["summary"]
        stored = sum(int(v) for k, v in summary.items() if k != "unchanged")  # type: ignore[attr-defined]
        rate = f"{stored / s.wall:,.0f}" if s.label == "initial" else "-"
        print(
            f"{s.label:<10} {s.wall:>7.2f} {float(str(s.result['seconds'])):>7.2f}"
            f" {s.result['bytes_sent']:>11} {s.result['bytes_received']:>9}"
            f" {100 * s.moved / first:>11.2f}% {s.client_rss / MIB:>7.0f} MiB {rate:>10}  {summary}"
        )
    initial, change, noop = steps
    rate = n / initial.wall
    print("targets:")
    print(
        f"  1% change moves {100 * change.moved / initial.moved:.2f}% of the initial bytes"
        f" (<= {100 * CHANGE_RATIO:.0f}%): {verdict(change.moved <= CHANGE_RATIO * initial.moved)}"
    )
    print(
        f"  no-op moves {noop.moved / KIB:.1f} KiB (< 64 KiB): {verdict(noop.moved < NOOP_BYTES)};"
        f" takes {noop.wall:.2f} s (< {NOOP_SECONDS:.0f} s): {verdict(noop.wall < NOOP_SECONDS)}"
    )
    print(
        f"  initial stores {rate:,.0f} examples/s (>= {INITIAL_RATE:,}):"
        f" {verdict(rate >= INITIAL_RATE)}"
    )
    peak = max(s.client_rss for s in steps)
    if n >= 1_000_000:
        print(
            f"  client peak RSS {peak / MIB:.0f} MiB (<= 400 MiB for 1M):"
            f" {verdict(peak <= CLIENT_RSS_1M)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--big", action="store_true", help="1,000,000 examples")
    parser.add_argument("--store", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--varied", action="store_true", help="varied text (gzip ~3x)")
    parser.add_argument("--pg", default=PG_ADMIN, help="PostgreSQL URL to create a database in")
    args = parser.parse_args()
    n = 1_000_000 if args.big else args.examples
    kinds = ["sqlite", "postgresql"] if args.store == "both" else [args.store]
    with tempfile.TemporaryDirectory() as tmp:
        files = (Path(tmp) / "initial.jsonl", Path(tmp) / "changed.jsonl")
        write_rows(files[0], n, changed=False, varied=args.varied)
        write_rows(files[1], n, changed=True, varied=args.varied)
        size = files[0].stat().st_size
        print(f"{n:,} examples, {size / MIB:.1f} MiB of JSONL; {os.cpu_count()} CPUs")
        for kind in kinds:
            steps, server_rss = run(kind, n, files, args.pg)
            report(kind, n, steps, server_rss)


if __name__ == "__main__":
    main()
