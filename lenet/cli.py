"""Shared pieces of the command-line tools: one-line errors, exit status 2, argument types."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from lenet.errors import LenetError

EXIT_USAGE = 2


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


for _type, _name in (
    (positive_int, "whole number"),
    (positive_float, "number"),
    (fraction, "number"),
    (non_negative_float, "number"),
):
    _type.__name__ = _name  # argparse names the type in "invalid <type> value: 'x'"


def run_cli(main: Callable[[], int]) -> int:
    """Run a CLI body; a project error becomes one line on stderr and exit status 2."""
    try:
        return main()
    except LenetError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
