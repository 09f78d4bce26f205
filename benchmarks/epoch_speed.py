"""Training speed, side by side in one process: the lecture's pipeline against ours.

    python benchmarks/epoch_speed.py [--json] [--data-dir DIR]

1. One epoch of the reference pipeline (torchvision `MNIST` + `Resize((32, 32))`, `ToTensor`,
   `Normalize((0.5,), (0.5,))`, `DataLoader(batch_size=256, num_workers=0)`, SGD lr 0.1
   momentum 0.9) against one epoch of ours with the same model, batch and optimizer.
2. Wall time, data loading included, until test accuracy first reaches 99.0% with the `fast`
   preset (test accuracy checked at each of its evaluation points; the checks are timed too),
   for seeds 0-4: `seconds_to_99` is seed 0's, `epochs_to_99` every seed's evaluation point.
With --json the last line is one JSON object with `speedup`, `seconds_to_99` and `epochs_to_99`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lenet.data import mnist as lenet_data
from lenet.model import LeNet5  # noqa: E402
from lenet.training.metrics import evaluate_split  # noqa: E402
from lenet.training.presets import PRESETS  # noqa: E402
from lenet.training.trainer import BatchEnd, Evaluation, Trainer, build_model  # noqa: E402

TRAIN_SIZE = 54_000
SEEDS = (0, 1, 2, 3, 4)


def reference_epoch(data_dir: Path, seed: int = 0) -> dict:
    """The lecture's epoch: a training pass, then train and validation accuracy, each through a
    DataLoader with per-sample PIL transforms. Seconds for each pass."""
    from torch.utils.data import DataLoader, Subset
    from torchvision import datasets, transforms

    transform = transforms.Compose(
        [transforms.Resize((32, 32)), transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]
    )
    full = datasets.MNIST(str(data_dir), train=True, download=False, transform=transform)
    train = Subset(full, range(TRAIN_SIZE))
    shuffled = DataLoader(
        train,
        batch_size=256,
        shuffle=True,
        num_workers=0,
        generator=torch.Generator().manual_seed(seed),
    )
    torch.manual_seed(seed)
    model = LeNet5()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    began = time.perf_counter()
    for x, y in shuffled:
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    train_s = time.perf_counter() - began

    def accuracy_pass(split) -> float:
        began = time.perf_counter()
        with torch.no_grad():
            for x, y in DataLoader(split, batch_size=256, num_workers=0):
                (model(x).argmax(1) == y).sum().item()
        return time.perf_counter() - began

    train_eval_s = accuracy_pass(train)
    val_s = accuracy_pass(Subset(full, range(TRAIN_SIZE, 60_000)))
    return {"train_pass_s": train_s, "epoch_s": train_s + train_eval_s + val_s}


def our_epoch(mnist) -> dict:
    """The same epoch with ours, classic settings: training pass (its validation pass included),
    then train accuracy over the whole training split."""
    config = dataclasses.replace(PRESETS["classic"].config, epochs=1, device="cpu")
    trainer = Trainer(config, mnist, build_model(config))
    marks: list[float] = []
    began = time.perf_counter()

    def mark(event) -> None:
        if isinstance(event, BatchEnd):
            marks.append(time.perf_counter())

    finished = trainer.run(mark)
    train_pass_s = marks[-1] - began
    tick = time.perf_counter()
    evaluate_split(trainer.model, mnist.train)
    return {
        "train_pass_s": train_pass_s,
        "epoch_s": finished.seconds + (time.perf_counter() - tick),
    }


def seconds_to_99(data_dir: Path, device: str = "cpu", seed: int = 0) -> dict:
    """Cold start (data read from disk) to the first evaluation point with test accuracy >= 99%."""
    lenet_data._load_verified.cache_clear()
    began = time.perf_counter()
    mnist = lenet_data.load_mnist(data_dir, fetch=False)
    load_s = time.perf_counter() - began
    config = dataclasses.replace(PRESETS["fast"].config, device=device, seed=seed)
    trainer = Trainer(config, mnist)
    reached: dict = {}

    def watch(event) -> None:
        if isinstance(event, Evaluation) and not reached:
            accuracy = evaluate_split(trainer.model, mnist.test)[1]
            if accuracy >= 0.99:
                reached.update(
                    seconds=time.perf_counter() - began, epoch=event.epoch, test_accuracy=accuracy
                )
                trainer.stop()

    finished = trainer.run(watch)
    if not reached:
        reached = {"seconds": None, "epoch": None, "test_accuracy": finished.test_accuracy}
    return {**reached, "load_s": load_s}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--data-dir", type=Path, default=lenet_data.default_data_dir())
    args = parser.parse_args()
    lenet_data.ensure_mnist(args.data_dir, fetch=False)
    ref = reference_epoch(args.data_dir)
    ours = our_epoch(lenet_data.load_mnist(args.data_dir, fetch=False))
    for label, key in (
        ("epoch as the lecture runs it", "epoch_s"),
        ("training pass alone", "train_pass_s"),
    ):
        print(
            f"{label:30} reference {ref[key]:6.2f} s | ours {ours[key]:6.2f} s | "
            f"{ref[key] / ours[key]:.1f}x faster",
            flush=True,
        )
    seeds = [seconds_to_99(args.data_dir, seed=seed) for seed in SEEDS]
    fast = seeds[0]
    print(
        f"{'epochs to 99%, seeds 0-4':30} {[s['epoch'] for s in seeds]} (fast preset; "
        f"seconds {[None if s['seconds'] is None else round(s['seconds'], 1) for s in seeds]})"
    )
    if fast["seconds"] is None:
        print(f"fast preset never reached 99% (ended at {fast['test_accuracy']:.2%})")
    else:
        print(
            f"{'to 99% test accuracy, cold':30} {fast['seconds']:6.2f} s (fast preset, epoch "
            f"{fast['epoch']:.1f}, {fast['test_accuracy']:.2%}, data load {fast['load_s']:.1f} s)"
        )
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads",
        "reference_epoch_s": round(ref["epoch_s"], 3),
        "ours_epoch_s": round(ours["epoch_s"], 3),
        "speedup": round(ref["epoch_s"] / ours["epoch_s"], 2),
        "reference_train_pass_s": round(ref["train_pass_s"], 3),
        "ours_train_pass_s": round(ours["train_pass_s"], 3),
        "train_pass_speedup": round(ref["train_pass_s"] / ours["train_pass_s"], 2),
        "seconds_to_99": None if fast["seconds"] is None else round(fast["seconds"], 2),
        "epoch_at_99": fast["epoch"],
        # the evaluation point (in epochs) where each seed first reached 99%; None: it never did
        "epochs_to_99": [s["epoch"] for s in seeds],
        "epochs_to_99_max": None
        if any(s["epoch"] is None for s in seeds)
        else max(s["epoch"] for s in seeds),
        "seconds_to_99_seeds": [
            None if s["seconds"] is None else round(s["seconds"], 2) for s in seeds
        ],
        "test_accuracy_at_99": fast["test_accuracy"],
        "data_load_s": round(fast["load_s"], 2),
    }
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
