"""The PostgreSQL half of the suite skips with a message where PostgreSQL is absent, and
fails instead in CI (CI=true)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = "tests/store/test_migrations.py::test_migrations_upgrade_an_empty_database[postgresql]"


def run_without_postgres(ci: str) -> subprocess.CompletedProcess[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    env = {
        **os.environ,
        "CI": ci,
        "DATASYNC_TEST_PG": f"postgresql+psycopg://postgres@127.0.0.1:{port}/test",
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", TARGET, "-rs", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("ci", ["", "false"])
def test_missing_postgres_is_skipped_with_a_message_outside_ci(ci: str) -> None:
    out = run_without_postgres(ci)
    assert out.returncode == 0, out.stdout
    assert "1 skipped" in out.stdout
    assert "PostgreSQL unreachable at" in out.stdout


def test_missing_postgres_fails_in_ci() -> None:
    out = run_without_postgres("true")
    assert out.returncode != 0
    assert "CI never skips the PostgreSQL tests" in out.stdout
