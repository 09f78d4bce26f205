"""`python -m lenet.timeline`: a checkpoint's training timeline from the command line.

    python -m lenet.timeline CHECKPOINT --json                      its snapshots' steps, epochs
    python -m lenet.timeline CHECKPOINT --gif OUT.gif [--digit PNG]  the timeline as an animation

Without --digit the animation follows MNIST's first test digit (from data/MNIST/raw, or
$LENET_DATA_DIR/MNIST/raw). Every failure (a bad flag, a missing or refused checkpoint, one that
keeps no timeline, a picture that cannot be read, a file that cannot be written) is one line on
stderr and exit status 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from lenet.cli.common import OneLineParser, run_cli
from lenet.data.images import read_picture
from lenet.data.mnist import raw_dir, read_idx
from lenet.data.preprocess import mnist_style
from lenet.errors import LenetError
from lenet.files.checkpoint import write_file
from lenet.timeline.file import load_timeline
from lenet.timeline.gif import timeline_gif
from lenet.timeline.snapshots import Timeline

TEST_IMAGES, TEST_LABELS = "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"


class TimelineError(LenetError):
    """A checkpoint without a timeline, a digit that cannot be read, a file not written."""


def summary(timeline: Timeline) -> dict:
    """The --json answer: how many snapshots, at which steps and epochs."""
    return {
        "snapshots": len(timeline),
        "steps": timeline.steps,
        "epochs": [round(float(e), 6) for e in timeline.epochs],
    }


def raw_file(name: str) -> Path | None:
    """One of MNIST's raw files, plain or gzipped, where lenet.data keeps them; None if absent."""
    for path in (raw_dir() / name, raw_dir() / f"{name}.gz"):
        if path.is_file():
            return path
    return None


def mnist_digit() -> tuple[np.ndarray, str]:
    """MNIST's first test digit in [0, 1] and its name, or TimelineError saying what to do."""
    images = raw_file(TEST_IMAGES)
    if images is None:
        raise TimelineError(
            f"no digit to draw: MNIST's test images are not in {raw_dir()}; "
            "pass --digit PNG (a picture of one digit) or fetch MNIST (python -m lenet.data)"
        )
    digits = read_idx(images)
    if digits.ndim != 3 or digits.shape[1:] != (28, 28) or len(digits) == 0:
        raise TimelineError(f"{images} does not hold 28x28 digits")
    labels = raw_file(TEST_LABELS)
    label = f" (a {int(read_idx(labels)[0])})" if labels is not None else ""
    return digits[0].astype(np.float32) / 255.0, f"MNIST test digit #0{label}"


def picture_digit(path: Path) -> tuple[np.ndarray, str]:
    """The 28x28 digit in a picture file, read as `python -m lenet.predict` reads one."""
    try:
        digit = mnist_style(read_picture(path))
    except ValueError as error:
        raise TimelineError(f"{path}: {error}") from None
    if digit is None:
        raise TimelineError(f"{path}: no digit found (the picture is blank or nearly blank)")
    return digit, path.name


def checkpoint_timeline(path: Path):
    """(model, timeline) of a checkpoint, or TimelineError when it keeps no timeline."""
    model, _, timeline = load_timeline(path)
    if timeline is None:
        raise TimelineError(
            f"{path.name} keeps no training timeline: it was saved before timelines or by a tool "
            "that does not keep them (train it again with python -m lenet.train)"
        )
    return model, timeline


def write_gif(args, model, timeline: Timeline) -> None:
    """Render the animation, write it atomically and say what was written."""
    digit, source = picture_digit(args.digit) if args.digit else mnist_digit()
    data = timeline_gif(timeline, model.config, digit, source)
    write_file(args.gif, data, overwrite=True, error=TimelineError, verb="write")
    steps = timeline.steps
    print(
        f"Wrote {args.gif} ({len(data) / 1e6:.1f} MB): {len(timeline)} frames, one per snapshot "
        f"(steps {steps[0]:,} to {steps[-1]:,} of {timeline.total_steps:,}), following {source}"
    )


def build_parser() -> OneLineParser:
    p = OneLineParser(
        prog="python -m lenet.timeline",
        description="A checkpoint's training timeline: the weights it kept as it trained. "
        "Every failure is one line on stderr and exit status 2.",
    )
    p.add_argument(
        "checkpoint",
        type=Path,
        metavar="CHECKPOINT",
        help="a checkpoint saved by python -m lenet.train",
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--json",
        action="store_true",
        help='print {"snapshots": N, "steps": [...], "epochs": [...]} as one JSON object',
    )
    what.add_argument(
        "--gif",
        type=Path,
        metavar="OUT.gif",
        help="write the timeline as an animated GIF, one 1280x720 frame per snapshot: filters, "
        "the digit's feature maps and its ten probabilities (replaces OUT.gif)",
    )
    p.add_argument(
        "--digit",
        type=Path,
        metavar="PNG",
        help="with --gif: the digit to follow, a picture of one digit (any size, PNG, JPEG...; "
        "default: MNIST's first test digit, from $LENET_DATA_DIR or data/)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.digit is not None and args.gif is None:
        parser.error("--digit goes with --gif only")

    def body() -> int:
        model, timeline = checkpoint_timeline(args.checkpoint)
        if args.json:
            print(json.dumps(summary(timeline)))
        else:
            write_gif(args, model, timeline)
        return 0

    return run_cli(body)
