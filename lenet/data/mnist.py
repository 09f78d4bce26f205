"""MNIST as whole splits of tensors in memory; the files themselves come from `lenet.data.fetch`.

Images are resized 28 -> 32 (bilinear, as the reference's torchvision `Resize`) and normalised to
[-1, 1]; batches are slices of a seeded `randperm`, with no DataLoader and no per-sample work.
"""

from __future__ import annotations

import functools
import gzip
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

# the fetching side, named here too: callers ask lenet.data for MNIST and where it lives
from lenet.data.fetch import (  # noqa: F401
    RAW_FILES,
    Log,
    default_data_dir,
    ensure_mnist,
    file_problems,
    one_line,
    raw_dir,
)
from lenet.errors import DataError

VAL_SIZE = 6000
IMAGE_SIZE = 32  # the reference pads MNIST's 28x28 to LeNet-5's 32x32 input by resizing
NORM_MEAN, NORM_STD = 0.5, 0.5  # maps [0, 1] to [-1, 1]


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
    inputs: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> MNIST:
    """Build the three splits; validation is the last `val_size` training images. `inputs`: the
    train and test images already made into model input (`kept_inputs`)."""
    if not 0 < val_size < len(train_labels):
        raise DataError(f"validation size {val_size} must be between 1 and {len(train_labels) - 1}")
    images, test_inputs = inputs or (model_input(train_images), model_input(test_images))
    labels = torch.from_numpy(train_labels.astype(np.int64))
    cut = len(labels) - val_size
    return MNIST(
        train=Split(images[:cut], labels[:cut]),
        val=Split(images[cut:], labels[cut:]),
        test=Split(test_inputs, torch.from_numpy(test_labels.astype(np.int64))),
        test_digits=test_images,
    )


def model_input(images: np.ndarray) -> torch.Tensor:
    """(N, 28, 28) uint8 as MNIST stores them -> (N, 1, 32, 32) model input."""
    return to_model_input(torch.from_numpy(images.copy()))


def kept_inputs(folder: Path, train: np.ndarray, test: np.ndarray) -> tuple[torch.Tensor, ...]:
    """The train and test images as model input, made once per machine and torch version.

    Resizing 70,000 images takes 0.5 s, a tenth of a command's start. The result is kept beside
    the raw files (287 MB, written whole or not at all) and mapped on later loads, not read: a
    process starts at once, and processes training at the same time share its pages. A kept file
    that is missing, unreadable or of other shapes is made anew; one that cannot be written is
    skipped (a read-only data folder works as before).
    """
    path = folder.parent / f"model-input-{IMAGE_SIZE}px-torch-{torch.__version__}.pt"
    shapes = [(len(a), 1, IMAGE_SIZE, IMAGE_SIZE) for a in (train, test)]
    try:
        kept = torch.load(path, mmap=True, weights_only=True)
        inputs = kept["train"], kept["test"]
        if [tuple(t.shape) for t in inputs] == shapes and all(
            t.dtype == torch.float32 for t in inputs
        ):
            return inputs
    except Exception:  # noqa: BLE001 - any damage to a cache means: make it again
        pass
    inputs = model_input(train), model_input(test)
    part = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        torch.save({"train": inputs[0], "test": inputs[1]}, part)
        os.replace(part, path)
    except OSError:
        part.unlink(missing_ok=True)
    return inputs


def load_raw_folder(folder: Path | str, val_size: int = VAL_SIZE, keep: bool = False) -> MNIST:
    """Read the four IDX files (plain, or with `.gz` appended) from `folder` without MD5 checks.
    `keep`: map the model input kept beside them, or make and keep it (`kept_inputs`); only for
    the verified MNIST, whose files never change."""
    folder = Path(folder)

    def find(name: str) -> Path:
        plain = folder / name
        return plain if plain.exists() else folder / f"{name}.gz"

    arrays = [read_idx(find(name)) for name in RAW_FILES]
    inputs = kept_inputs(folder, arrays[0], arrays[2]) if keep else None
    return mnist_from_raw(*arrays, val_size=val_size, inputs=inputs)


_LOADING = threading.Lock()


@functools.lru_cache(maxsize=2)
def _load_verified(raw: str, val_size: int) -> MNIST:
    return load_raw_folder(raw, val_size, keep=True)


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
