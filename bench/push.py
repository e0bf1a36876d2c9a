"""Bytes on the wire for a push against a real server: initial, no-op, 1% change.

Starts ``datasync serve`` on 127.0.0.1 over a temporary SQLite store, writes N QA examples
(default 100,000) as JSONL, and runs ``datasync push --json`` three times, printing
bytes_sent + bytes_received of each and the ratios (all from this one run).

    python bench/push.py [--examples 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "was",
    "for",
    "on",
    "that",
    "with",
    "as",
    "by",
    "at",
    "from",
    "his",
    "her",
    "an",
    "which",
    "or",
    "model",
    "data",
    "answer",
    "question",
    "river",
    "city",
    "number",
    "paper",
    "table",
    "light",
    "water",
    "year",
]


def context(i: int, varied: bool) -> str:
    if not varied:  # repetitive filler: gzip shrinks it ~8x, the hardest case for the ratio
        return f"Passage {i}: " + "lorem ipsum dolor sit amet " * 8
    rng = random.Random(i)
    return f"Passage {i}: " + " ".join(rng.choice(WORDS) for _ in range(40))


def write_rows(path: Path, n: int, changed_every: int = 0, varied: bool = False) -> None:
    with path.open("w") as out:
        for i in range(n):
            answer = f"answer {i}" + (
                " (edited)" if changed_every and i % changed_every == 0 else ""
            )
            row = {
                "id": f"ex-{i:07d}",
                "input": {
                    "question": f"In the passage about item {i}, what does the author conclude?",
                    "context": context(i, varied),
                },
                "output": {"answer": answer},
                "metadata": {"split": "test" if i % 5 == 0 else "train", "source": "bench"},
            }
            out.write(json.dumps(row) + "\n")


def push(path: Path, url: str) -> dict[str, object]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "datasync",
            "push",
            str(path),
            "--dataset",
            "bench",
            "--json",
            "--server",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--varied", action="store_true", help="varied text (gzip ~3x)")
    args = parser.parse_args()
    n, varied = args.examples, args.varied
    with tempfile.TemporaryDirectory() as tmp:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if k != "DATASYNC_API_KEY"}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "datasync",
                "serve",
                "--db",
                f"{tmp}/server.sqlite",
                "--port",
                str(port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(200):
                try:
                    httpx.get(f"{url}/v1/health").raise_for_status()
                    break
                except httpx.HTTPError:
                    time.sleep(0.05)
            data = Path(tmp) / "data.jsonl"
            write_rows(data, n, varied=varied)
            size = data.stat().st_size
            runs = [("initial", push(data, url)), ("no-op", push(data, url))]
            write_rows(data, n, changed_every=100, varied=varied)
            runs.append(("1% patched", push(data, url)))
        finally:
            server.terminate()
            server.wait(30)
    print(f"{n} examples, {size / 2**20:.1f} MiB of JSONL")
    initial = 0
    for label, r in runs:
        moved = int(r["bytes_sent"]) + int(r["bytes_received"])  # type: ignore[call-overload]
        initial = initial or moved
        print(
            f"{label:>11}: sent {r['bytes_sent']:>10} B, received {r['bytes_received']:>8} B,"
            f" total {moved:>10} B ({moved / 1024:.1f} KiB, {100 * moved / initial:.2f}% of"
            f" initial), {r['seconds']} s, summary {r['summary']}"
        )


if __name__ == "__main__":
    main()
