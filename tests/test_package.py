"""The installed package: version, console script, declared public API."""

import subprocess
import sys
import types

import datasync


def test_public_api_is_declared_in_all() -> None:
    exported = {
        name
        for name, value in vars(datasync).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)  # subpackages
    }
    assert exported <= set(datasync.__all__) | {"__version__"}
    for name in datasync.__all__:
        assert hasattr(datasync, name), name


def test_version_command_prints_the_package_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "datasync", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"datasync {datasync.__version__}"


def test_content_hash_of_the_readme_example_is_64_hex() -> None:
    digest = datasync.content_hash({"q": 1})
    assert len(digest) == 64
    assert all(c in "0123456789abcdef" for c in digest)
