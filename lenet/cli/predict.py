"""`python -m lenet.predict IMAGE... [--checkpoint PATH] [--json]`: read digits from picture
files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PIL import Image

from lenet.cli.common import OneLineParser, run_cli
from lenet.data.images import read_picture
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from lenet.model import LeNet5
from lenet.reading import classify


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
