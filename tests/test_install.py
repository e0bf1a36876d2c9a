"""A plain `pip install .` into a fresh virtualenv: at most 60 MB of site-packages, and the
README's first command runs with it (bench/install_size.py does the install and prints it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LIMIT_BYTES = 60_000_000


def test_a_plain_install_is_at_most_60_mb_and_pushes_the_readme_sample() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "install_size.py"), "--json"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    figures = json.loads(out.stdout)
    size = figures["site_packages_bytes"]
    print(f"plain install: {size / 1e6:.1f} MB of site-packages; largest {figures['largest'][:3]}")
    assert size <= LIMIT_BYTES, figures["largest"]
    assert figures["push_exit"] == 0, figures["push"]
    assert figures["push"]["summary"]["created"] > 0
    assert figures["store_bytes"] > 0
