"""The ``datasync`` command: parse arguments, call the library, print, exit.

Each subcommand lives in its own module here and exposes ``register(subparsers)``, which adds
its parser and sets ``func`` (a callable taking the parsed namespace and returning an exit
code). Exit codes: 0 ok, 1 error (a :class:`~datasync.errors.DatasyncError`), 2 usage.
With ``--json`` every failure, usage errors included, also prints one error object
``{"ok": false, "error": {...}}`` on stdout. A closed stdout (``datasync hash … | head``)
ends the command quietly with exit 0, as Unix tools do.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from datasync._logging import configure as configure_logging
from datasync._logging import level_for
from datasync._version import __version__
from datasync.errors import DatasyncError, UsageError

# Subcommand modules, in the order `datasync --help` lists them.
_COMMANDS: tuple[str, ...] = (
    "hash",
    "push",
    "diff",
    "pull",
    "import",
    "export",
    "log",
    "ls",
    "rm",
    "mv",
    "tag",
    "untag",
    "experiments",
    "serve",
    "db",
)

#: Commands whose module name differs (``import`` is a Python keyword).
_MODULES: dict[str, str] = {"import": "import_"}


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors also print a JSON error object when the
    command line asks for ``--json`` (subparsers are made of the same class)."""

    json_errors = False

    def error(self, message: str) -> NoReturn:
        if self.json_errors:
            _print_json_error(UsageError(message))
        super().error(message)


def _print_json_error(exc: DatasyncError) -> None:
    print(json.dumps({"ok": False, **exc.to_wire()}, ensure_ascii=False), flush=True)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``datasync`` parser; with ``command`` (a subcommand name) only that subcommand's
    module is imported and registered, so a command loads only what it runs."""
    parser = _Parser(
        prog="datasync",
        description="Sync datasets of examples to a versioned store, sending only what changed.",
    )
    parser.add_argument("--version", action="version", version=f"datasync {__version__}")
    _add_verbosity(parser, argparse.SUPPRESS)
    parser.set_defaults(verbose=0, quiet=0)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS if command is None else (command,):
        module = importlib.import_module(f"datasync.cli.{_MODULES.get(name, name)}")
        module.register(subparsers)
    for sub in subparsers.choices.values():
        _add_verbosity(sub, argparse.SUPPRESS)  # also after the command: `datasync serve -q`
    return parser


def _add_verbosity(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default,
        help="more log lines on stderr (repeat for debug)",
    )
    parser.add_argument(
        "-q", "--quiet", action="count", default=default, help="fewer log lines (repeat: none)"
    )


def _command(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names, if it names a known one first (else: build them all,
    for help and for argparse's error naming the choices)."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in _COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _Parser.json_errors = "--json" in argv
    try:
        parser = build_parser(_command(argv))
        args = parser.parse_args(argv)
        func = getattr(args, "func", None)
        if func is None:
            parser.print_help(sys.stderr)
            return 2
        base = getattr(args, "log_base", logging.WARNING)  # serve: INFO (its request lines)
        configure_logging(level_for(base, args.verbose, args.quiet))
        try:
            code: int = func(args)
        except DatasyncError as exc:
            if getattr(args, "json", False):
                _print_json_error(exc)
            print(f"datasync: error: {exc}", file=sys.stderr)
            return exc.exit_code
        except KeyboardInterrupt:
            print("datasync: interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:
            raise
        except Exception as exc:  # a bug: say so in --json too, keep the traceback
            if getattr(args, "json", False):
                message = f"unexpected error: {type(exc).__name__}: {exc}"
                _print_json_error(DatasyncError(message, code="internal"))
            raise
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    finally:
        _Parser.json_errors = False


def _quiet_stdout() -> None:
    """The reader of stdout left (``| head``): point stdout at /dev/null so that the flush at
    exit does not fail again, and end without a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file (captured in tests)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
