"""The class's own digits as files: MNIST's IDX format, which torchvision's readers open
(`torchvision.datasets.mnist.read_image_file`), and one PNG a digit; read back as a `Split`.

`python -m lenet.runs digits --export DIR` writes them from the run store (`lenet.store.digits`);
`python -m lenet.evaluate CKPT --digits DIR` measures a model on them.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from lenet.data.mnist import Split, read_idx, to_model_input
from lenet.errors import DataError

IMAGES = "class-digits-images-idx3-ubyte"
LABELS = "class-digits-labels-idx1-ubyte"


def idx_bytes(array: np.ndarray) -> bytes:
    """An unsigned-byte array as an IDX file: 0, 0, type 0x08, the dimension count, each
    dimension as 4 big-endian bytes, then the values row by row (MNIST's own layout)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    return header + array.tobytes()


def png_bytes(digit: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(digit, np.uint8), "L").save(buffer, format="PNG")
    return buffer.getvalue()


def exported_files(
    images: np.ndarray, labels: np.ndarray, ids: tuple[int, ...]
) -> dict[str, bytes]:
    """Every file of an export by its path in the folder: the two IDX files and
    png/<label>/<id>.png for each digit."""
    files = {IMAGES: idx_bytes(images), LABELS: idx_bytes(labels)}
    for digit, label, digit_id in zip(images, labels.tolist(), ids, strict=True):
        files[f"png/{label}/{digit_id}.png"] = png_bytes(digit)
    return files


def load_digits(folder: Path | str) -> Split:
    """An exported set as a split the model reads (as MNIST's test split). Raises DataError."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder (make one with `lenet.runs digits --export`)")
    images, labels = read_idx(folder / IMAGES), read_idx(folder / LABELS)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.ndim != 1:
        raise DataError(f"{folder}: the IDX files do not hold 28x28 digits and their labels")
    if len(images) != len(labels) or not len(labels):
        raise DataError(
            f"{folder}: {len(images)} digits and {len(labels)} labels: "
            + ("an empty set" if not len(labels) else "they must be as many")
        )
    if labels.max() > 9:
        raise DataError(f"{folder}: a label is {int(labels.max())}; digits are 0 to 9")
    return Split(
        to_model_input(torch.from_numpy(images.copy())), torch.from_numpy(labels.astype(np.int64))
    )
