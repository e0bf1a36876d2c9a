"""js-parity's own suite (`npm test`: golden vectors, the upstream RFC 8785 suite, refusals,
the bin, the TypeScript client, the packed package loaded by import and require, the hash
entry bundled for the browser and run in headless Chromium) runs as part of pytest, so the
README's one test command runs every suite; nothing in it may be skipped."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from conftest import JS_PARITY, _missing

pytestmark = pytest.mark.node


def test_the_typescript_suite_passes_with_nothing_skipped() -> None:
    reason = _missing()
    if reason is not None:
        pytest.fail(f"the TypeScript suite cannot run: {reason}", pytrace=False)
    done = subprocess.run(
        [shutil.which("npm") or "npm", "test"],
        cwd=JS_PARITY,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    tail = done.stdout[-3000:] + done.stderr[-3000:]
    assert done.returncode == 0, tail
    counts = dict(
        re.findall(r"^# (tests|pass|fail|skipped|todo|cancelled) (\d+)$", done.stdout, re.M)
    )
    print(f"npm test: {counts}")
    assert int(counts["tests"]) > 0 and counts["pass"] == counts["tests"], counts
    assert (counts["fail"], counts["skipped"], counts["todo"], counts["cancelled"]) == (
        "0",
        "0",
        "0",
        "0",
    ), counts
