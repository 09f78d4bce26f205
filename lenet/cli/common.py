"""Shared pieces of the command-line tools: one-line errors, exit status 2, argument types."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import getpass
import os
import sys
import threading
from collections.abc import Callable
from typing import NoReturn

from lenet.errors import LenetError
from lenet.terminal import EscapingWriter, escaped

EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 128 + 13  # as a shell reports a command killed by SIGPIPE (`yes | head -1`)
FALLBACK_NAME = "cli"  # the nickname of a run when the login name cannot be one


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad flag as one line on stderr (exit 2), not usage + error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more, not {text}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1, not {text}")
    return value


def non_negative_float(text: str) -> float:
    value = float(text)
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def nickname(text: str) -> str:
    """--name: a nickname as the run store keeps it (the store's modules are imported here, when
    a name is given: `--help` and a refused flag answer without them)."""
    from lenet.store.rows import StoreError, check_name

    try:
        return check_name(text)
    except StoreError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def default_name() -> str:
    """The login name as a nickname, else "cli"."""
    from lenet.store.rows import StoreError, check_name

    try:
        return check_name(getpass.getuser())
    except (OSError, KeyError, StoreError):  # no login name (a container), or not a nickname
        return FALLBACK_NAME


for _type, _name in (
    (positive_int, "whole number"),
    (positive_float, "number"),
    (fraction, "number"),
    (non_negative_float, "number"),
):
    _type.__name__ = _name  # argparse names the type in "invalid <type> value: 'x'"


def run_cli(main: Callable[[], int]) -> int:
    """Run a CLI body; a project error becomes one line on stderr and exit status 2; output
    into a pipe closed early (`| head -1`) ends quietly with status 141. What it prints has
    its control characters escaped (`lenet.terminal`): a stored nickname cannot drive the
    terminal."""
    try:
        with contextlib.redirect_stdout(EscapingWriter(sys.stdout)):
            code = main()
        sys.stdout.flush()  # here, not at exit: a closed pipe is caught below
        return code
    except BrokenPipeError:
        # Python's advice (docs: signal, "Note on SIGPIPE"): stdout to devnull, so the flush at
        # exit does not fail again with a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except LenetError as error:
        print(f"error: {escaped(str(error), keep=chr(10))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def leave(status: int) -> NoReturn:
    """End a `python -m lenet.X` process with `status`, without the interpreter's teardown.

    Once PyTorch is imported, Python's own exit spends 0.5-0.7 s freeing its modules object by
    object, a tenth of a short run's whole time, where the operating system frees the process at
    once (benchmarks/README.md, "A command line that starts fast"). What an exit must still do is
    done here: the `atexit` functions run (logging, `weakref.finalize`, temporary folders) and
    stdout and stderr are flushed. Files the commands write are closed before this (written whole
    or not at all). A thread that is not a daemon, or a process without PyTorch, exits as usual.
    """
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if "torch" not in sys.modules or any(not t.daemon for t in others):
        sys.exit(status)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream: nothing to add
            stream.flush()
    os._exit(status)
