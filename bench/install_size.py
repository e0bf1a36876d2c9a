"""Size of a plain install: `pip install .` (no extras) into a fresh virtualenv.

Prints the site-packages size (the venv is made without pip, so everything in site-packages
is datasync and its dependencies), the largest distributions, and then runs the README's
first command with the installed `datasync` (embedded store in a temporary folder).

    python bench/install_size.py            # figures
    python bench/install_size.py --json     # one JSON object (tests/test_install.py)

Needs the package index (or pip's configured wheel sources); about a minute.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MB = 1_000_000


def tree_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def site_packages(env: Path) -> Path:
    found = list(env.glob("lib/python3*/site-packages")) or list(env.glob("Lib/site-packages"))
    return found[0]


def largest(site: Path, n: int = 8) -> list[tuple[str, int]]:
    sizes = [(p.name, tree_bytes(p) if p.is_dir() else p.stat().st_size) for p in site.iterdir()]
    return sorted(sizes, key=lambda item: -item[1])[:n]


def measure(work: Path) -> dict[str, object]:
    env = work / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "install",
         "--quiet", "--disable-pip-version-check", str(REPO)],
        check=True, timeout=600,
    )  # fmt: skip
    install_seconds = time.monotonic() - started
    site = site_packages(env)
    store = work / "store.sqlite"
    child_env = {k: v for k, v in os.environ.items() if not k.startswith(("DATASYNC_", "PYTHON"))}
    child_env["DATASYNC_STORE"] = str(store)
    push = subprocess.run(
        [str(env / "bin" / "datasync"), "push", "examples/data/qa.jsonl", "--dataset", "qa",
         "--json"],
        cwd=REPO, env=child_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return {
        "site_packages_bytes": tree_bytes(site),
        "largest": largest(site),
        "install_seconds": round(install_seconds, 1),
        "push_exit": push.returncode,
        "push": json.loads(push.stdout) if push.returncode == 0 else push.stderr,
        "store_bytes": store.stat().st_size if store.exists() else 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="datasync-install-") as tmp:
        figures = measure(Path(tmp))
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"site-packages of a plain install: {figures['site_packages_bytes'] / MB:.1f} MB")
    for name, size in figures["largest"]:  # type: ignore[attr-defined]
        print(f"  {name:<40} {size / MB:6.1f} MB")
    print(f"install: {figures['install_seconds']} s; README push exit {figures['push_exit']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
