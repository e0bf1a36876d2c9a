"""The experiment docs run as printed (README section and docs/experiments.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _first_python_block(text: str) -> str:
    return re.findall(r"```python\n(.*?)```", text, re.S)[0]


@pytest.mark.parametrize("where", ["README.md", "docs/experiments.md"])
def test_experiment_example_runs_and_prints_what_it_says(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / where).read_text(encoding="utf-8")
    if where == "README.md":
        text = text.split("## Experiments", 1)[1]
    block = _first_python_block(text)
    code = re.sub(r'store="/tmp/[^"]+"', f'store="{tmp_path / "s.sqlite"}"', block)
    # "<README.md>", not the file's name: inspect.getsource (the task fingerprint) would read
    # the real file at the snippet's line numbers and find other code there.
    exec(compile(code, f"<{where}>", "exec"), {"__name__": "docs"})
    printed = [p for p in capsys.readouterr().out.splitlines() if p.strip()]
    comments = [line.split("# ", 1)[1] for line in code.splitlines() if "print(" in line]
    assert len(printed) == len(comments)
    for line, comment in zip(printed, comments, strict=True):
        assert comment.startswith(line), (line, comment)
