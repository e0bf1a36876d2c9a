"""A real ``datasync serve`` process on 127.0.0.1 over each store (SQLite, PostgreSQL), filled
with real pushes and experiments; and Debian's chromium driven by Playwright.

The browser tests skip with a message where chromium or playwright is missing, and fail
instead when ``CI=true`` (``.ci/run`` installs both).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from datasync import Client, run_experiment

CHROMIUM = "/usr/bin/chromium"
API_KEY = "ui-test-key"
SCRIPT = "<script>window.pwned = 1</script><img src=x onerror=window.pwned=2>"


@dataclass
class Served:
    """A running server and what was put in it."""

    url: str
    api_key: str | None
    v1: int
    v2: int
    exp_a: int
    exp_b: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_serve(
    store_url: str, api_key: str | None, log: IO[bytes]
) -> tuple[subprocess.Popen[bytes], str]:
    """``datasync serve`` in a child process; returns once ``/v1/health`` answers (<= 30 s)."""
    port = _free_port()
    argv = [sys.executable, "-m", "datasync", "serve", "--db", store_url, "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATASYNC_")}
    if api_key is not None:
        env["DATASYNC_API_KEY"] = api_key
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/v1/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"datasync serve did not start (its output: {log.name})")
        time.sleep(0.1)


def solve(input: dict[str, Any]) -> dict[str, Any]:
    left = input["question"].split("+")[0]
    n = int(left) if left.isdigit() else 0
    return {"answer": str(n * 2 if n % 3 else n)}


def solve_better(input: dict[str, Any]) -> dict[str, Any]:
    left = input["question"].split("+")[0]
    return {"answer": str(int(left) * 2 if left.isdigit() else 0)}


def correct(output: Any, expected: Any) -> bool:
    return bool(output == expected)


def fill(url: str, api_key: str | None) -> tuple[int, int, int, int]:
    """Two versions of ``calc`` (one patched field, one created example holding markup) and an
    experiment on each, through the HTTP client."""
    rows = [
        {
            "id": f"q{i}",
            "input": {"question": f"{i}+{i}"},
            "output": {"answer": str(2 * i)},
            "metadata": {"split": "test" if i % 2 else "train"},
        }
        for i in range(8)
    ]
    with Client(base_url=url, api_key=api_key) as client:
        v1 = client.datasets.upsert_dataset(
            "calc", rows, message="first", dataset_tags={"env": "prod"}
        )
        exp_a = run_experiment(
            v1, solve, [correct], experiment_name="calc-a", client=client, progress=False
        )
        rows[3]["output"] = {"answer": "six"}
        rows.append({"id": "xss", "input": {"question": SCRIPT}, "output": {"answer": "0"}})
        v2 = client.datasets.upsert_dataset("calc", rows, message="fix q3")
        exp_b = run_experiment(
            v2, solve_better, [correct], experiment_name="calc-b", client=client, progress=False
        )
        assert v1.version_id is not None and v2.version_id is not None
        return v1.version_id, v2.version_id, exp_a.id, exp_b.id


@contextmanager
def serving(store_url: str, api_key: str | None, log: Path) -> Iterator[Served]:
    with log.open("wb") as out:
        proc, url = start_serve(store_url, api_key, out)
        try:
            yield Served(url, api_key, *fill(url, api_key))
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(15)


@pytest.fixture
def open_server(store_url: str, tmp_path: Path) -> Iterator[Served]:
    """A filled server without an API key (local use)."""
    with serving(store_url, None, tmp_path / "serve.log") as served:
        yield served


@pytest.fixture
def keyed_server(store_url: str, tmp_path: Path) -> Iterator[Served]:
    """A filled server with an API key."""
    with serving(store_url, API_KEY, tmp_path / "serve.log") as served:
        yield served


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        return f"no chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _browser_missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser tests cannot run in CI: {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests write their screenshots (``$DATASYNC_SCREENSHOTS`` if set)."""
    wanted = os.environ.get("DATASYNC_SCREENSHOTS")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        return Path(wanted)
    return tmp_path_factory.mktemp("screenshots")
