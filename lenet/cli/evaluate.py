"""Evaluate a model on a split; `python -m lenet.evaluate CHECKPOINT [--json]`."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

from torch import nn

from lenet.cli.common import OneLineParser, run_cli
from lenet.data.class_set import learned_from_set, load_digits
from lenet.data.mnist import Split, load_mnist
from lenet.files.checkpoint import load_checkpoint
from lenet.training.metrics import (
    Mistake,
    class_accuracy,
    confusion_matrix,
    misclassified,
    predict_logits,
)


@dataclass(frozen=True)
class Report:
    accuracy: float
    per_class_accuracy: list[float | None]  # None: no digit of that class in the set
    confusion: list[list[int]]  # row = true class, column = predicted class
    mistakes: list[Mistake]  # most confident first


def evaluate(model: nn.Module, split: Split) -> Report:
    """Accuracy, per-class accuracy, confusion matrix and mistakes of a model on a split."""
    logits = predict_logits(model, split.images)
    labels = split.labels.cpu()
    predicted = logits.argmax(1)
    matrix = confusion_matrix(predicted, labels, logits.shape[1])
    # a class's own set may lack a digit: no accuracy then, rather than 0%
    seen = matrix.sum(1).tolist()
    per_class = [a if n else None for a, n in zip(class_accuracy(matrix), seen, strict=True)]
    return Report(
        matrix.diag().sum().item() / max(len(labels), 1),
        per_class,
        matrix.tolist(),
        misclassified(logits, labels),
    )


def format_report(report: Report, what: str = "Test") -> str:
    lines = [
        f"{what} accuracy {report.accuracy:.2%} "
        f"({len(report.mistakes):,} of {sum(map(sum, report.confusion)):,} wrong)",
        "",
        "Per-class accuracy:",
    ]
    lines += [
        f"  {digit}: {'none in the set' if acc is None else f'{acc:.2%}'}"
        for digit, acc in enumerate(report.per_class_accuracy)
    ]
    lines += [
        "",
        "Confusion matrix (rows: true digit, columns: predicted):",
        "      " + "".join(f"{d:>6}" for d in range(len(report.confusion))),
    ]
    lines += [f"{t:>6}" + "".join(f"{n:>6}" for n in row) for t, row in enumerate(report.confusion)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(
        prog="python -m lenet.evaluate",
        description="Test accuracy, per-class accuracy and confusion matrix.",
    )
    parser.add_argument("checkpoint", help="a .pt file written by lenet.train or the app")
    parser.add_argument(
        "--json",
        action="store_true",
        help="end with one JSON line: test_accuracy (class_digits_accuracy with --digits), "
        "per_class_accuracy, confusion",
    )
    parser.add_argument("--data-dir", help="MNIST root (default: $LENET_DATA_DIR or ./data)")
    parser.add_argument(
        "--digits",
        metavar="DIR",
        help="measure on the class's own digits instead of MNIST's test set: a folder written "
        "by `python -m lenet.runs digits --export DIR`",
    )
    args = parser.parse_args(argv)

    def body() -> int:
        model, meta = load_checkpoint(args.checkpoint)
        held = args.digits is not None and learned_from_set(meta)
        if held:  # it learned from the rest: only the held-out fifth measures it
            split = load_digits(args.digits, held_only=True)
            what = "Class digits it never saw (the held-out fifth; it learned from the rest):"
        elif args.digits is not None:
            split, what = load_digits(args.digits), "Class digits"
        else:
            log = lambda message: print(message, file=sys.stderr)  # noqa: E731
            split, what = load_mnist(args.data_dir, log=log).test, "Test"
        report = evaluate(model, split)
        print(format_report(report, what))
        if args.json:
            print(
                json.dumps(
                    {
                        "checkpoint": str(args.checkpoint),
                        # MNIST's test set, or (--digits) the class's digits
                        "class_digits_accuracy" if args.digits else "test_accuracy": (
                            report.accuracy
                        ),
                        "per_class_accuracy": report.per_class_accuracy,
                        "held_out_only": held,
                        "confusion_matrix": report.confusion,
                        "mistakes": len(report.mistakes),
                    },
                    allow_nan=False,  # counts and their ratios only: never NaN (that is not JSON)
                )
            )
        return 0

    return run_cli(body)
