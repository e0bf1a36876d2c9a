"""docs/sources.md stays honest: its Python examples run, and it covers every CLI option."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from datasync.cli import build_parser

DOC = Path(__file__).resolve().parents[2] / "docs" / "sources.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_python_examples_in_the_sources_doc_run(
    index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(python_blocks()[index], f"{DOC}:block{index}", "exec"), {})


def test_every_hash_option_is_documented() -> None:
    parser = build_parser()
    hash_parser = parser._subparsers._group_actions[0].choices["hash"]  # type: ignore[union-attr]
    options = {s for a in hash_parser._actions for s in a.option_strings if s.startswith("--")}
    text = DOC.read_text()
    missing = sorted(o for o in options - {"--help"} if o not in text)
    assert missing == []
