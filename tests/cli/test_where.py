"""Always say where: empty DATASYNC_* variables are usage errors naming them; every
store-facing command names its target (``--json`` and human output); read-only commands do not
create a store; bad server URLs are refused at once; ``--json`` prints an error object on
every failure; a closed stdout ends a command quietly."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from datasync import Client, UsageError
from datasync.cli import main
from datasync.errors import NotFoundError
from datasync.store import Store
from tests.cli.conftest import Run, write
from tests.client.conftest import rows


@pytest.mark.parametrize("variable", ["DATASYNC_URL", "DATASYNC_API_KEY", "DATASYNC_STORE"])
def test_an_empty_variable_is_a_usage_error_naming_it(
    variable: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    src = write(tmp_path / "qa.jsonl", rows(3))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("DATASYNC_URL", raising=False)
    monkeypatch.delenv("DATASYNC_API_KEY", raising=False)
    monkeypatch.delenv("DATASYNC_STORE", raising=False)
    argv = ["push", str(src), "--dataset", "qa", "--json"]
    if variable == "DATASYNC_API_KEY":
        monkeypatch.setenv("DATASYNC_URL", "http://127.0.0.1:9")  # never reached
    monkeypatch.setenv(variable, "")
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2
    error = json.loads(captured.out)["error"]
    assert (error["code"], error["details"]["variable"]) == ("empty_env", variable)
    assert variable in captured.err
    assert not (tmp_path / "data").exists()  # no throwaway store on the runner
    with pytest.raises(UsageError, match=variable):
        Client()


def test_a_set_variable_is_not_needed_when_an_option_names_the_target(
    monkeypatch: pytest.MonkeyPatch, run: Run, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATASYNC_URL", "")
    monkeypatch.setenv("DATASYNC_STORE", "")
    code, out = run("push", str(write(tmp_path / "qa.jsonl", rows(3))), "--dataset", "qa")
    assert code == 0 and out["summary"]["created"] == 3


def test_every_command_names_its_target_in_json(
    run: Run, target: list[str], store: Store, tmp_path: Path
) -> None:
    where = target[1]
    if where.startswith("sqlite:///"):
        where = where[len("sqlite:///") :]
    elif where.startswith("postgresql"):
        with Client(store=where) as client:
            where = client.target
        assert "postgresql" in where
    src = str(write(tmp_path / "qa.jsonl", rows(3)))
    outputs = [
        run("push", src, "--dataset", "qa")[1],
        run("push", src, "--dataset", "qa", "--dry-run")[1],
        run("diff", src, "--dataset", "qa")[1],
        run("log", "qa")[1],
        run("ls")[1],
        run("tag", "qa", "env=ci")[1],
        run("untag", "qa", "env")[1],
        run("experiments", "ls")[1],
    ]
    assert [out["target"] for out in outputs] == [where] * len(outputs)


def test_human_output_names_the_target(
    target: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = str(write(tmp_path / "qa.jsonl", rows(3)))
    assert main(["push", src, "--dataset", "qa", *target]) == 0
    first = capsys.readouterr()
    shown = first.err.splitlines()[0]
    assert shown.startswith("datasync: ") and (" store " in shown or " server " in shown)
    place = shown.rsplit(" ", 1)[1]
    assert f"qa at {place}: planned" in first.out
    for argv in (["ls"], ["log", "qa"], ["pull", "qa"], ["tag", "qa"]):
        assert main([*argv, *target]) == 0
        assert place in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["ls"],
        ["log", "qa"],
        ["pull", "qa"],
        ["diff", "SRC", "--dataset", "qa"],
        ["tag", "qa"],
        ["experiments", "ls"],
        ["push", "SRC", "--dataset", "qa", "--dry-run"],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_read_only_commands_do_not_create_a_store(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = str(write(tmp_path / "qa.jsonl", rows(3)))
    missing = tmp_path / "typo" / "store.sqlite"
    argv = [src if a == "SRC" else a for a in argv]
    as_json = [] if argv[0] == "pull" else ["--json"]  # pull writes its data on stdout
    code = main([*argv, "--store", str(missing), *as_json])
    captured = capsys.readouterr()
    assert code == 1 and f"[store_not_found] no store at {missing}" in captured.err
    if as_json:
        assert json.loads(captured.out)["error"]["code"] == "store_not_found"
    assert not missing.exists() and not missing.parent.exists()
    with pytest.raises(NotFoundError):
        Client(store=missing, create=False)


def test_push_creates_the_store_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "new.sqlite"
    src = str(write(tmp_path / "qa.jsonl", rows(3)))
    assert main(["push", src, "--dataset", "qa", "--store", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["target"], out["store_created"]) == (str(path), True)
    assert main(["push", src, "--dataset", "qa", "--store", str(path)]) == 0
    assert f"datasync: using store {path}" in capsys.readouterr().err
    path.unlink()
    assert main(["push", src, "--dataset", "qa", "--store", str(path)]) == 0
    assert f"datasync: created store {path}" in capsys.readouterr().err
    with Client(store=path, create=False) as client:
        assert client.datasets.get_dataset("qa").total == 3


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("localhost:8765", "http://localhost:8765"),
        ("127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://127.0.0.1:8765/v1", "the client adds /v1"),
        ("http://127.0.0.1:8765/v1/", "the client adds /v1"),
        ("ftp://host", "http:// or https://"),
    ],
)
def test_a_bad_server_url_is_refused_at_once_with_a_hint(
    url: str, hint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = str(write(tmp_path / "qa.jsonl", rows(1)))
    started = time.monotonic()
    code = main(["push", src, "--dataset", "qa", "--server", url, "--json"])
    assert code == 2 and time.monotonic() - started < 5  # no retries against it
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["code"] == "bad_server_url" and hint in error["message"]
    with pytest.raises(UsageError, match="bad_server_url"):
        Client(base_url=url)


def test_usage_errors_print_a_json_error_object(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["push", "x.jsonl", "--json"])  # --dataset missing
    assert exc.value.code == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["kind"] == "usage" and "--dataset" in error["message"]


def test_a_closed_stdout_ends_the_command_quietly(tmp_path: Path) -> None:
    src = tmp_path / "many.jsonl"
    write(src, rows(20_000))
    store = tmp_path / "s.sqlite"
    for command in (
        f"datasync hash {src} --source-id-key id",
        f"datasync push {src} --dataset qa --store {store} --json",
        f"datasync pull qa --store {store}",
        f"datasync log qa --store {store} --json",
    ):
        done = subprocess.run(
            ["bash", "-c", f"set -o pipefail; {sys.executable} -m {command} | head -c 10"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (command, done.stderr)
        assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, command
