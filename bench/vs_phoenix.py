"""datasync vs Arize Phoenix on the same workload, side by side in one run.

Installs ``arize-phoenix`` into its own virtual environment if missing (``--venv``, default
the cached one the bridge tests use, see tests/bridges/phoenix_server.py; a big download),
starts a Phoenix server and a ``datasync serve`` (SQLite)
on 127.0.0.1, each behind a small local TCP proxy that counts the bytes both ways, and for
N = 10,000 and 100,000 examples runs three steps through each:

* Phoenix: its own client, ``phoenix.client.Client().datasets.create_dataset(name=...,
  examples=[{"id", "input", "output", "metadata"}])`` — an ``action=update`` upload: the
  whole dataset travels every time and the server diffs by example id (then the client reads
  the new version back, as ``create_dataset`` does);
* datasync: ``datasync push FILE --dataset NAME --json --server PROXY``.

Steps: initial load; 1% update (1% patched, 0.5% deleted, 0.5% created); no-op (the same
file again). It prints seconds (in the client process, file reading included, interpreter
start excluded) and bytes on the wire for each, and the Phoenix/datasync ratios.
Not part of CI.

    python bench/vs_phoenix.py [--sizes 10000 100000] [--venv DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "bridges"))
from phoenix_server import (  # the Phoenix install and server the bridge tests use
    clean_env,
    ensure_phoenix,
    free_port,
    installed_version,
    phoenix_server,
    phoenix_venv,
    started,
    wait_healthy,
)
from push import write_rows  # the same generated data as bench/push.py

#: Runs inside the Phoenix venv: upload one JSONL file through Phoenix's client.
PHOENIX_DRIVER = r"""
import json, sys, time
from phoenix.client import Client

path, name, url = sys.argv[1:4]
started = time.perf_counter()
rows = [json.loads(line) for line in open(path)]
examples = [
    {"id": r["id"], "input": r["input"], "output": r["output"], "metadata": r["metadata"]}
    for r in rows
]
client = Client(base_url=url)
dataset = client.datasets.create_dataset(name=name, examples=examples, timeout=3600)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "version_id": dataset.version_id, "examples": len(dataset)}))
"""


class CountingProxy:
    """A TCP proxy on 127.0.0.1 counting bytes client->server (``up``) and back (``down``)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.up = 0
        self.down = 0
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port)
        )
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, up: bool) -> None:
            try:
                while data := await src.read(65536):
                    if up:
                        self.up += len(data)
                    else:
                        self.down += len(data)
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False))

    def reset(self) -> tuple[int, int]:
        counts = (self.up, self.down)
        self.up = self.down = 0
        return counts

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)


@dataclass
class Measure:
    seconds: float
    up: int
    down: int

    @property
    def moved(self) -> int:
        return self.up + self.down


def run_phoenix(python: Path, driver: Path, data: Path, name: str, proxy: CountingProxy) -> Measure:
    proxy.reset()
    out = subprocess.run(
        [str(python), str(driver), str(data), name, proxy.url],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"Phoenix upload failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    up, down = proxy.reset()
    return Measure(float(result["seconds"]), up, down)


def run_datasync(data: Path, name: str, proxy: CountingProxy) -> Measure:
    proxy.reset()
    argv = [sys.executable, "-m", "datasync", "push", str(data), "--dataset", name, "--json"]
    out = subprocess.run([*argv, "--server", proxy.url], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"datasync push failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout)
    up, down = proxy.reset()
    return Measure(float(result["seconds"]), up, down)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--venv", type=Path, default=phoenix_venv())
    parser.add_argument("--varied", action="store_true", help="varied text (gzip ~3x)")
    args = parser.parse_args()
    python = ensure_phoenix(args.venv)
    version = installed_version(python)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        driver = tmp / "phoenix_driver.py"
        driver.write_text(PHOENIX_DRIVER)
        datasync_port = free_port()
        datasync_argv = [sys.executable, "-m", "datasync", "serve", "--db"]
        datasync_argv += [str(tmp / "datasync.sqlite"), "--port", str(datasync_port)]
        with (
            phoenix_server(python, tmp / "phoenix", auth=False) as phoenix,
            started(datasync_argv, clean_env(), tmp / "datasync.log"),
        ):
            wait_healthy(f"http://127.0.0.1:{datasync_port}", "/v1/health")
            phoenix_port = int(phoenix.url.rsplit(":", 1)[1])
            phoenix_proxy = CountingProxy(phoenix_port)
            datasync_proxy = CountingProxy(datasync_port)
            print(f"Phoenix {version} vs datasync; {os.cpu_count()} CPUs; both servers on SQLite")
            for n in args.sizes:
                initial, changed = tmp / f"initial-{n}.jsonl", tmp / f"changed-{n}.jsonl"
                write_rows(initial, n, changed=False, varied=args.varied)
                write_rows(changed, n, changed=True, varied=args.varied)
                name = f"bench-{n}"
                steps = [("initial", initial), ("1% update", changed), ("no-op", changed)]
                rows = []
                for label, path in steps:
                    phx = run_phoenix(python, driver, path, name, phoenix_proxy)
                    ds = run_datasync(path, name, datasync_proxy)
                    rows.append((label, phx, ds))
                report(n, initial.stat().st_size, rows)
            phoenix_proxy.close()
            datasync_proxy.close()


def report(n: int, size: int, rows: list[tuple[str, Measure, Measure]]) -> None:
    print(f"\n== {n:,} examples ({size / 2**20:.1f} MiB of JSONL)")
    print(
        f"{'step':<10} {'Phoenix s':>9} {'datasync s':>10} {'x faster':>8}"
        f" {'Phoenix bytes':>14} {'datasync bytes':>14} {'x fewer':>9}"
    )
    for label, phx, ds in rows:
        print(
            f"{label:<10} {phx.seconds:>9.2f} {ds.seconds:>10.2f} {phx.seconds / ds.seconds:>8.1f}"
            f" {phx.moved:>14,} {ds.moved:>14,} {phx.moved / max(ds.moved, 1):>9.1f}"
        )


if __name__ == "__main__":
    main()
