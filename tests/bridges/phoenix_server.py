"""A real Arize Phoenix for tests and benchmarks: installed once into its own virtualenv
(cached on the machine), started on 127.0.0.1 with a temporary working directory.

Used by ``tests/bridges`` (the Phoenix bridge tests) and ``bench/vs_phoenix.py``; ``.ci/run``
runs ``python tests/bridges/phoenix_server.py --install`` before the tests so the install
(a large download on a cold cache) is timed apart from them.

* :data:`PHOENIX_VERSION`: the release tested (pinned, so runs are reproducible);
  ``DATASYNC_PHOENIX_VERSION`` overrides it.
* :func:`phoenix_venv`: where it is installed: ``$DATASYNC_PHOENIX_VENV``, else
  ``~/.cache/datasync/phoenix-<version>`` (kept between runs).
* :func:`ensure_phoenix` installs it if missing and returns the venv's python.
* :func:`phoenix_server` starts ``python -m phoenix.server.main serve`` (auth on, the admin
  secret as the API key) and stops it on exit.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

PHOENIX_VERSION = os.environ.get("DATASYNC_PHOENIX_VERSION", "20.26.1")


def phoenix_venv(version: str = PHOENIX_VERSION) -> Path:
    """The virtualenv that holds (or will hold) ``arize-phoenix==version``."""
    chosen = os.environ.get("DATASYNC_PHOENIX_VENV")
    if chosen:
        return Path(chosen)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "datasync" / f"phoenix-{version}"


def ensure_phoenix(venv: Path | None = None, version: str = PHOENIX_VERSION) -> Path:
    """The venv's python, with ``arize-phoenix==version`` installed (pip, on first use).

    Raises RuntimeError with pip's last output lines when the install fails."""
    venv = venv or phoenix_venv(version)
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import phoenix.server.main, phoenix.utilities.content_hashing"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    started = time.monotonic()
    print(f"installing arize-phoenix=={version} into {venv} (large download) ...", file=sys.stderr)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    done = subprocess.run([*pip, f"arize-phoenix=={version}"], capture_output=True, text=True)
    if done.returncode != 0 or subprocess.run(probe, capture_output=True).returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        raise RuntimeError(f"installing arize-phoenix=={version} failed:\n{tail}")
    print(f"installed in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return python


def installed_version(python: Path) -> str:
    out = subprocess.run(
        [str(python), "-c", "import phoenix; print(phoenix.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, path: str, seconds: float = 180) -> None:
    """Poll ``url + path`` until it answers 200. Raises RuntimeError after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + path, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url}{path} did not come up within {seconds:.0f} s")


@contextmanager
def started(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` (output to ``log``) for the duration of the block; then stop it."""
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@dataclass(frozen=True)
class PhoenixServer:
    """A running Phoenix: its URL, the API key it takes, where it keeps its SQLite file."""

    url: str
    api_key: str | None
    working_dir: Path
    python: Path

    @property
    def database(self) -> Path:
        return self.working_dir / "phoenix.db"


def clean_env() -> dict[str, str]:
    """This process's environment without Phoenix's and datasync's variables."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PHOENIX_", "DATASYNC_"))}


@contextmanager
def phoenix_server(
    python: Path, working_dir: Path, *, auth: bool = True
) -> Iterator[PhoenixServer]:
    """Phoenix on 127.0.0.1 (ports the OS picks), its data under ``working_dir``. With
    ``auth``, requests need ``Authorization: Bearer <api_key>`` (Phoenix's admin secret)."""
    port = free_port()
    env = {
        **clean_env(),
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(free_port()),
        "PHOENIX_WORKING_DIR": str(working_dir),
        "PHOENIX_TELEMETRY_ENABLED": "false",
        # No downloads at startup (a WASM sandbox binary, a docs MCP server): loopback only.
        "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",
    }
    api_key = None
    if auth:
        # Phoenix wants secrets of 32+ characters with a digit and a lowercase letter.
        api_key = "a1" + secrets.token_hex(24)
        env |= {
            "PHOENIX_ENABLE_AUTH": "true",
            "PHOENIX_SECRET": "s1" + secrets.token_hex(24),
            "PHOENIX_ADMIN_SECRET": api_key,
        }
    working_dir.mkdir(parents=True, exist_ok=True)
    argv = [str(python), "-m", "phoenix.server.main", "serve"]
    with started(argv, env, working_dir / "server.log") as proc:
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, "/healthz")
        except RuntimeError:
            log = (working_dir / "server.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"Phoenix did not start (exit {proc.poll()}):\n{log}") from None
        yield PhoenixServer(url, api_key, working_dir, python)


if __name__ == "__main__":
    if sys.argv[1:] != ["--install"]:
        raise SystemExit("usage: python tests/bridges/phoenix_server.py --install")
    began = time.monotonic()
    where = ensure_phoenix()
    seconds = time.monotonic() - began
    print(f"arize-phoenix {installed_version(where)} at {where.parent.parent} ({seconds:.0f} s)")
