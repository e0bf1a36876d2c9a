"""``datasync serve`` as a real child process on 127.0.0.1, for tests that kill or measure it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def child_pids(parent: int) -> list[int]:
    """Pids of the live processes whose parent is ``parent`` (from ``/proc/*/stat``)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == parent and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not reaped, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class ServerProcess:
    """``datasync serve --db URL`` on a free port; ``client`` talks to it once it answers.

    ``kill()`` is SIGKILL (no cleanup at all), ``stop()`` SIGTERM. ``peak_rss_bytes()`` is
    the process's high-water resident set (``VmHWM``). The server's stderr goes to ``log``.
    """

    def __init__(self, store_url: str, log: Path, *args: str, api_key: str | None = None) -> None:
        self.port = free_port()
        self.log_path = log
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATASYNC_")}
        if api_key:
            env["DATASYNC_API_KEY"] = api_key
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "datasync",
                    "serve",
                    "--db",
                    store_url,
                    "--port",
                    str(self.port),
                    *args,
                ],
                env=env,
                stdout=out,
                stderr=out,
                stdin=subprocess.DEVNULL,
            )
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.url = f"http://127.0.0.1:{self.port}"
        self.client = httpx.Client(base_url=self.url, headers=headers, timeout=30)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"datasync serve exited: {self.log_path.read_text()[-2000:]}")
            try:
                if self.client.get("/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"datasync serve did not answer within {STARTUP_SECONDS} s")
            time.sleep(0.05)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def children(self) -> list[int]:
        """Pids of the server's child processes (its decode workers)."""
        return child_pids(self.pid)

    def peak_rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmHWM in /proc status")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(15)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.client.close()
        self.stop()
