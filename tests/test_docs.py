"""The docs stay true: every command and option is documented, README code runs as printed."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from datasync.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = README + "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))


def _commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name), sub
                yield from _commands(sub, (*prefix, name))


COMMANDS = dict(_commands(build_parser()))


def test_the_cli_has_commands() -> None:
    assert {"push", "pull", "diff", "log", "ls", "hash", "serve"} <= {c[0] for c in COMMANDS}


@pytest.mark.parametrize("command", sorted(COMMANDS), ids=" ".join)
def test_every_command_is_documented_with_its_options(command: tuple[str, ...]) -> None:
    assert f"datasync {' '.join(command)}" in DOCS, f"`datasync {' '.join(command)}` has no docs"
    parser = COMMANDS[command]
    assert parser.description or parser.format_usage(), command
    options = {o for a in parser._actions for o in a.option_strings if o.startswith("--")}
    missing = sorted(o for o in options - {"--help"} if o not in DOCS)
    assert missing == [], f"datasync {' '.join(command)}: undocumented options {missing}"


@pytest.mark.parametrize("command", sorted(c for c in COMMANDS if len(c) == 1), ids=" ".join)
def test_every_command_answers_help(command: tuple[str, ...]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "datasync", *command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("usage: datasync"), out.stdout


def test_readme_python_api_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATASYNC_STORE", str(tmp_path / "store.sqlite"))
    monkeypatch.delenv("DATASYNC_URL", raising=False)
    section = README.split("## Python API", 1)[1].split("\n## ", 1)[0]
    code = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md#python-api", "exec"), namespace)
    v2 = namespace["v2"]
    assert v2.summary.patched == 1 and v2.summary.unchanged == 1  # type: ignore[attr-defined]


def test_readme_first_command_pushes_the_sample_file(tmp_path: Path) -> None:
    first = re.search(r"pip install (?:-e )?\. && (datasync push [^\n]+)", README)
    assert first is not None, "the README must start with install-and-push"
    args = first.group(1).split()[1:]
    env = {"DATASYNC_STORE": str(tmp_path / "store.sqlite"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "datasync", *args, "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert '"created": 20' in out.stdout
