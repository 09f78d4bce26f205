"""`python -m lenet.train`: train LeNet-5 from the command line, save a checkpoint + history."""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
import time
from pathlib import Path

from tqdm import tqdm

from lenet.cli.common import (
    FALLBACK_NAME,
    OneLineParser,
    default_name,
    fraction,
    nickname,
    non_negative_float,
    positive_float,
    positive_int,
    run_cli,
)
from lenet.config import ACTIVATIONS, DEVICES, OPTIMIZERS, POOLINGS, SCHEDULERS, TrainConfig
from lenet.training.events import BatchEnd, Evaluation, Finished, Started, event_to_dict
from lenet.training.presets import PRESETS
from lenet.training.threads import ThreadGovernor, most_fixed_threads

# Everything above is plain Python: the flags are read, and a bad one refused, before PyTorch
# (about 2 s) is imported by `train`.

MODEL_FLAGS = ("activation", "pooling")


def thread_count(text: str) -> int:
    """A fixed torch thread count: 1 to 4 per core of this machine."""
    value = int(text) if text.isascii() and text.isdigit() else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more, not {text}")
    if value > (most := most_fixed_threads()):
        raise argparse.ArgumentTypeError(f"must be at most {most} (4 per core), not {text}")
    return value


def build_parser() -> OneLineParser:
    p = OneLineParser(
        prog="python -m lenet.train",
        description="Train LeNet-5 on MNIST, save the checkpoint and record the run in the run "
        "store ($LENET_DATABASE_URL, default runs/lenet.db; list it with python -m lenet.runs).",
    )
    p.add_argument(
        "--preset",
        choices=PRESETS,
        default="classic",
        help="starting settings, refined by the flags below (default: classic)",
    )
    p.add_argument("--epochs", type=positive_int, help="passes over the training set")
    p.add_argument("--batch-size", type=positive_int, help="images per minibatch")
    p.add_argument("--optimizer", choices=OPTIMIZERS)
    p.add_argument("--lr", type=positive_float, help="learning rate (peak rate for onecycle)")
    p.add_argument("--momentum", type=fraction, help="SGD momentum in [0, 1)")
    p.add_argument(
        "--nesterov", action=argparse.BooleanOptionalAction, help="Nesterov momentum (SGD)"
    )
    p.add_argument("--weight-decay", type=non_negative_float)
    p.add_argument(
        "--label-smoothing",
        type=fraction,
        help="share of each target spread over the other digits, in [0, 1) (Fast: 0.1)",
    )
    p.add_argument("--scheduler", choices=SCHEDULERS)
    p.add_argument("--activation", choices=ACTIVATIONS)
    p.add_argument("--pooling", choices=POOLINGS)
    p.add_argument("--seed", type=int)
    p.add_argument("--device", choices=DEVICES)
    p.add_argument("--train-size", type=positive_int, help="use the first N training images")
    p.add_argument("--evals-per-epoch", type=positive_int, help="validation passes per epoch")
    p.add_argument(
        "--threads",
        type=thread_count,
        help="torch threads, fixed (default: as many as other work leaves cores free, "
        "checked every second)",
    )
    p.add_argument("--data-dir", help="MNIST root (default: $LENET_DATA_DIR or ./data)")
    p.add_argument(
        "--out", type=Path, help="checkpoint path (default: checkpoints/lenet5_<preset>_<time>.pt)"
    )
    p.add_argument(
        "--name",
        type=nickname,
        help="the nickname the run is recorded under (default: your login name, or "
        f"'{FALLBACK_NAME}' when that cannot be a nickname)",
    )
    return p


def config_from_args(args) -> TrainConfig:
    """The preset's settings with every flag the user gave applied on top."""
    base = PRESETS[args.preset].config
    given = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(TrainConfig)
        if f.name != "model" and getattr(args, f.name, None) is not None
    }
    model = {k: getattr(args, k) for k in MODEL_FLAGS if getattr(args, k) is not None}
    return dataclasses.replace(base, **given, model=dataclasses.replace(base.model, **model))


class ConsoleReport:
    """Turns events into a tqdm bar and one line per epoch, like the reference script."""

    def __init__(self, epochs: int) -> None:
        self.epochs, self.bar, self.epoch_began = epochs, None, time.perf_counter()
        self.history: list[dict] = []

    def __call__(self, event) -> None:
        self.history.append(event_to_dict(event))
        if isinstance(event, Started):
            self.epoch_began = time.perf_counter()
            self.bar = tqdm(
                total=event.total_steps,
                unit="batch",
                file=sys.stderr,
                dynamic_ncols=True,
                leave=False,
            )
        elif isinstance(event, BatchEnd):
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{event.loss:.4f}", samples_s=f"{event.samples_per_s:,.0f}")
        elif isinstance(event, Evaluation) and abs(event.epoch - round(event.epoch)) < 1e-9:
            now = time.perf_counter()
            tqdm.write(
                f"Epoch {round(event.epoch):03d}/{self.epochs:03d} | "
                f"Train {event.train_accuracy:.1%} | Validation {event.val_accuracy:.1%} | "
                f"{now - self.epoch_began:.1f} s"
            )
            self.epoch_began = now
        elif isinstance(event, Finished) and self.bar is not None:
            self.bar.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_cli(lambda: train(args))


def train(args) -> int:
    # imported here, not above: `--help` and a refused flag answer without PyTorch
    from lenet.cli.recording import Recording
    from lenet.data.mnist import load_mnist
    from lenet.training.trainer import Trainer

    config = config_from_args(args)
    governor = ThreadGovernor(limit=args.threads, fixed=args.threads is not None)
    data = load_mnist(args.data_dir, log=lambda message: print(message, file=sys.stderr))
    trainer = Trainer(config, data)
    adapting = "" if governor.fixed else ", fewer while other work uses the cores"
    print(f"Threads: {governor.threads} ({governor.cores} cores{adapting})", file=sys.stderr)
    report, recording = ConsoleReport(config.epochs), Recording(args.name or default_name(), config)
    trainer.snapshots.on_take = recording.snapshot

    def on_event(event) -> None:
        report(event)
        recording.event(event)

    # Ctrl-C, a closed terminal or a polite kill: stop, save and record the run as stopped
    stopping = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, lambda *_: trainer.stop()) for sig in stopping}
    try:
        try:
            finished = trainer.run(governor.watch(on_event))
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        recording.end(finished.outcome, None, trainer.model)
        return save_outputs(args, config, governor, report, finished, trainer)
    except BaseException as error:
        recording.end("failed", " ".join(f"{type(error).__name__}: {error}".split())[:300])
        raise
    finally:
        recording.close()


def save_outputs(args, config, governor, report, finished, trainer) -> int:
    """The summary, the checkpoint (with the run's timeline) and the history file of a finished
    run; its exit status."""
    from lenet.files.checkpoint import CHECKPOINT_DIR, save_checkpoint
    from lenet.store.recorder import metrics_of
    from lenet.timeline.file import timeline_payload

    if finished.outcome == "diverged":
        print(finished.message, file=sys.stderr)
        return 1
    print(
        f"Test accuracy {finished.test_accuracy:.2%} ({finished.outcome} after "
        f"{finished.step} steps, {finished.seconds:.1f} s)"
    )
    out = args.out or CHECKPOINT_DIR / f"lenet5_{args.preset}_{time.strftime('%Y%m%d-%H%M%S')}.pt"
    metrics = metrics_of(finished)
    history = [e for e in report.history if e["event"] != "BatchEnd"]
    meta = {"train_config": config.to_dict(), "metrics": metrics, "history": history}
    meta["timeline"] = timeline_payload(trainer.snapshots.timeline())
    save_checkpoint(out, trainer.model, meta)
    history_path = out.with_suffix(".history.json")
    write_json(
        history_path,
        {
            "train_config": config.to_dict(),
            "metrics": metrics,
            "threads": governor.changes,  # (seconds since start, torch threads from then)
            "events": report.history,
        },
    )
    print(f"Saved {out} and {history_path}")
    return 0


def write_json(path: Path, payload: dict) -> None:
    """Write JSON whole or not at all (`lenet.files.checkpoint.write_file`)."""
    from lenet.files.checkpoint import write_file

    write_file(path, json.dumps(payload).encode(), overwrite=True, verb="write")
