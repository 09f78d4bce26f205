"""The class's own digits as files: MNIST's IDX format, which torchvision's readers open
(`torchvision.datasets.mnist.read_image_file`), and one PNG a digit; read back as a `Split`.
And as training data beside MNIST: four fifths learned from, one fifth held out to measure them.

`python -m lenet.runs digits --export DIR` writes them from the run store (`lenet.store.digits`);
`python -m lenet.evaluate CKPT --digits DIR` measures a model on them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from lenet.data.mnist import Split, read_idx, to_model_input
from lenet.errors import DataError

IMAGES = "class-digits-images-idx3-ubyte"
LABELS = "class-digits-labels-idx1-ubyte"
IDS = "class-digits-ids.txt"  # each digit's id, a line each: which ones are held out
# A digit whose id is a multiple of HELD_OUT is never learned from, only measured on: its id
# decides, so a digit keeps its part as the set grows and shrinks, and no run that learned from
# the set has seen a held-out digit, whichever version it learned from.
HELD_OUT = 5
# The digits learned from are repeated to make about SHARE of the images of an epoch (a few
# hundred beside 54,000 would be a rounding error), at most MAX_REPEATS times each; a set larger
# than MOST_SHARE of the epoch is sampled down to that (seeded), so however many digits a class
# adds, a run's cost and MNIST's part stay bounded.
SHARE, MOST_SHARE, MAX_REPEATS = 0.05, 0.10, 20


def held_out(ids) -> np.ndarray:
    """Which of the digits (by id) are the held-out fifth."""
    return np.asarray(ids, dtype=np.int64) % HELD_OUT == 0


def repeats(learned: int, mnist_images: int) -> int:
    """How many times each learned digit goes into an epoch beside `mnist_images` of MNIST."""
    if learned <= 0:
        return 0
    return int(min(MAX_REPEATS, max(1, round(SHARE * mnist_images / learned))))


def part_size(learnable: int, mnist_images: int) -> tuple[int, int]:
    """(how many of `learnable` digits a run learns, how many times each an epoch)."""
    count = min(learnable, max(1, round(MOST_SHARE * mnist_images)))
    return count, repeats(count, mnist_images)


def learning_part(
    images: np.ndarray, labels: np.ndarray, mnist_images: int, seed: int = 0
) -> Split:
    """The digits to learn from (uint8 (N, 28, 28) and their labels, the held-out fifth already
    left out) as model input: `part_size` of them (a sample seeded by `seed` when there are
    more), each repeated. Raises DataError for none."""
    if not len(labels):
        raise DataError(
            "the class has no digits to learn from yet: add some on the Draw page "
            "(a fifth of them are kept aside to measure the run)"
        )
    count, times = part_size(len(labels), mnist_images)
    chosen = np.arange(len(labels))
    if count < len(labels):
        chosen = np.sort(np.random.default_rng(seed).choice(len(labels), count, replace=False))
    x = to_model_input(torch.from_numpy(np.ascontiguousarray(images[chosen], np.uint8)))
    y = torch.from_numpy(np.asarray(labels, np.int64)[chosen])
    return Split(x.repeat(times, 1, 1, 1), y.repeat(times))


@dataclass(frozen=True)
class Joined:
    """Two splits trained on as one (a `Split`'s `len`, `to` and `batches`) without copying the
    first: MNIST's 221 MB of training input stay the mapped pages every run shares."""

    first: Split
    second: Split

    def __len__(self) -> int:
        return len(self.first) + len(self.second)

    def to(self, device) -> Joined:
        return Joined(self.first.to(device), self.second.to(device))

    def batches(self, batch_size: int, generator: torch.Generator | None = None):
        """Minibatches drawn from both, in order or shuffled together by a seeded `randperm`."""
        n, cut, device = len(self), len(self.first), self.first.labels.device
        order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            a, b = idx[idx < cut].to(device), (idx[idx >= cut] - cut).to(device)
            yield (
                torch.cat([self.first.images[a], self.second.images[b]]),
                torch.cat([self.first.labels[a], self.second.labels[b]]),
            )


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
    """Every file of an export by its path in the folder: the two IDX files, the ids and
    png/<label>/<id>.png for each digit."""
    files = {IMAGES: idx_bytes(images), LABELS: idx_bytes(labels)}
    files[IDS] = "".join(f"{int(i)}\n" for i in ids).encode()
    for digit, label, digit_id in zip(images, labels.tolist(), ids, strict=True):
        files[f"png/{label}/{digit_id}.png"] = png_bytes(digit)
    return files


def load_digits(folder: Path | str, held_only: bool = False) -> Split:
    """An exported set as a split the model reads (as MNIST's test split); `held_only`: only
    its held-out fifth (for a model that learned from the rest). Raises DataError."""
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
    if held_only:
        chosen = held_out(read_ids(folder, len(labels)))
        if not chosen.any():
            raise DataError(
                f"{folder}: none of its digits is held out (ids that are multiples of 5)"
            )
        images, labels = images[chosen], labels[chosen]
    return Split(
        to_model_input(torch.from_numpy(images.copy())), torch.from_numpy(labels.astype(np.int64))
    )


def read_ids(folder: Path, count: int) -> np.ndarray:
    """The digits' ids of an export (IDS). Raises DataError."""
    try:
        ids = np.array([int(line) for line in (folder / IDS).read_text().split()], np.int64)
    except FileNotFoundError as error:
        raise DataError(
            f"{folder} has no {IDS}: export the set again (`lenet.runs digits --export`) to "
            "measure a model that learned from it"
        ) from error
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise DataError(f"{folder / IDS}: not a list of digit ids, one a line") from error
    if len(ids) != count:
        raise DataError(f"{folder / IDS}: {len(ids)} ids for {count} digits")
    return ids


def learned_from_set(meta: dict) -> bool:
    """Whether a checkpoint's model learned from the class's digits (its train_config names a
    version of the set): then only the held-out fifth measures it."""
    config = meta.get("train_config") if isinstance(meta, dict) else None
    version = config.get("class_digits") if isinstance(config, dict) else None
    return isinstance(version, str) and bool(version)
