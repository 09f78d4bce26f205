"""Read digits from pictures; `python -m lenet.predict IMAGE... [--checkpoint PATH] [--json]`."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from lenet.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from lenet.cli import OneLineParser, run_cli
from lenet.images import read_picture
from lenet.model import LeNet5
from lenet.preprocess import Prepared, prepare_drawing


@dataclass(frozen=True)
class Prediction:
    digit: int
    probabilities: list[float]  # softmax over the ten classes
    prepared: Prepared

    @property
    def confidence(self) -> float:
        return self.probabilities[self.digit]


@torch.no_grad()
def probabilities(model: LeNet5, model_input: torch.Tensor) -> torch.Tensor:
    """Softmax probabilities (N, 10) for inputs (N, 1, 32, 32)."""
    device = next(model.parameters()).device
    return model(model_input.to(device)).softmax(dim=1).cpu()


def classify(model: LeNet5, image: np.ndarray | Image.Image) -> Prediction | None:
    """Preprocess one picture MNIST-style and read it; None when there is no digit to read."""
    prepared = prepare_drawing(image)
    if prepared is None:
        return None
    probs = probabilities(model, prepared.model_input)[0]
    return Prediction(int(probs.argmax()), probs.tolist(), prepared)


def read_image(path: Path) -> Image.Image:
    """The picture in a file, reduced for reading, or ValueError with a one-line reason."""
    return read_picture(path)


def answer(model: LeNet5, path: Path, as_json: bool) -> bool:
    """Print the reading of one file (or why it has none); True when it was read."""
    try:
        prediction = classify(model, read_image(path))
    except ValueError as error:
        print(f"{path}: {error}", file=sys.stderr)
        return False
    if prediction is None:
        print(f"{path}: no digit found (the picture is blank or nearly blank)", file=sys.stderr)
        return False
    if as_json:
        print(
            json.dumps(
                {
                    "file": str(path),
                    "digit": prediction.digit,
                    "probabilities": [round(p, 6) for p in prediction.probabilities],
                }
            )
        )
    else:
        print(f"{path}: {prediction.digit} ({prediction.confidence:.1%} sure)")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(
        prog="python -m lenet.predict",
        description="Read handwritten digits from image files of any size.",
    )
    parser.add_argument("images", nargs="+", type=Path, help="PNG, JPEG, ... one digit each")
    parser.add_argument(
        "--checkpoint",
        type=Path,
        default=DEFAULT_CHECKPOINT,
        help="model to use (default: the shipped checkpoints/lenet5_mnist.pt)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='one JSON object per line: {"file", "digit", "probabilities"}',
    )
    args = parser.parse_args(argv)

    def body() -> int:
        model, _ = load_checkpoint(args.checkpoint)
        read = [answer(model, path, args.json) for path in args.images]
        return 0 if all(read) else 1

    return run_cli(body)


if __name__ == "__main__":
    raise SystemExit(main())
