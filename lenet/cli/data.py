"""`python -m lenet.data [--data-dir DIR]`: fetch and verify MNIST once per machine."""

from __future__ import annotations

import argparse
import sys

from lenet.data.fetch import ensure_mnist
from lenet.errors import DataError


def main(argv: list[str] | None = None) -> int:
    """`python -m lenet.data [--data-dir DIR]`: fetch and verify MNIST."""
    parser = argparse.ArgumentParser(prog="python -m lenet.data", description=main.__doc__)
    parser.add_argument("--data-dir", help="data root (default: $LENET_DATA_DIR or ./data)")
    args = parser.parse_args(argv)
    try:
        raw = ensure_mnist(args.data_dir, log=lambda message: print(message, file=sys.stderr))
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"MNIST ready in {raw}")
    return 0
