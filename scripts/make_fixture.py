"""Cut the small real-MNIST test fixture from the full raw files.

    python scripts/make_fixture.py [--data-dir data] [--train 6000] [--test 1000]

Writes tests/fixtures/mnist-small/<the four raw names>.gz: the first TRAIN training images and
the first TEST test images, in the IDX format, gzipped (about 1.3 MB together).
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

import numpy as np

from lenet.data.mnist import RAW_FILES, ensure_mnist, read_idx

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "mnist-small"


def write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.GzipFile(path, "wb", mtime=0) as f:  # mtime=0: byte-identical on every run
        f.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--train", type=int, default=6000)
    parser.add_argument("--test", type=int, default=1000)
    args = parser.parse_args()
    raw = ensure_mnist(args.data_dir)
    OUT.mkdir(parents=True, exist_ok=True)
    for name in RAW_FILES:
        count = args.train if name.startswith("train") else args.test
        write_idx(OUT / f"{name}.gz", read_idx(raw / name)[:count])
        print(f"wrote {OUT / name}.gz")


if __name__ == "__main__":
    main()
