"""docs/tags.md stays true: its limits are the code's, its Python runs, its commands run."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from datasync.cli import main
from datasync.sync.tags import MAX_TAG_KEY, MAX_TAG_VALUE, MAX_TAGS, RESERVED_PREFIX

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "tags.md").read_text(encoding="utf-8")


def test_the_limits_table_is_the_code() -> None:
    assert f"at most {MAX_TAGS} (after the change)" in PAGE
    assert f"1–{MAX_TAG_KEY} chars of lowercase" in PAGE
    assert f"at most {MAX_TAG_VALUE} chars of UTF-8" in PAGE
    assert f"keys starting with `{RESERVED_PREFIX}`" in PAGE


def test_the_python_example_runs(tmp_path: Path) -> None:
    code = re.findall(r"```python\n(.*?)```", PAGE, re.S)[0]
    code = code.replace("/tmp/tags-demo.sqlite", str(tmp_path / "demo.sqlite"))
    exec(compile(code, "docs/tags.md", "exec"), {})


def test_the_command_examples_run_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    block = re.findall(r"```bash\n(.*?)```", PAGE, re.S)[0]
    commands = [line.split("  #")[0] for line in block.splitlines() if line.startswith("datasync")]
    assert len(commands) >= 10
    for command in commands:
        argv = shlex.split(command.replace("examples/", f"{ROOT}/examples/"))[1:]
        code = main([*argv, "--store", str(tmp_path / "store.sqlite")])
        assert code == 0, (command, capsys.readouterr().err)
    assert (tmp_path / "release.jsonl").read_text().count("\n") == 20
