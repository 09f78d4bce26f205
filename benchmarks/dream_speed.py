"""What each filter wants to see: activation maximisation for all 22 conv1 and conv2 channels.

    python benchmarks/dream_speed.py [--repeats 3] [--threads 1]

`lenet.explain.dreams.dreams` with its default settings (Adam steps on each channel's centre cell,
L2 + total variation, only the cell's receptive field) for the shipped model on CPU, from
scratch each repeat (the app computes it once per model and caches it). Also checks that each
repeat gives the same images. Prints JSON.
Target: 10 s or less on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lenet.explain.dreams import DreamConfig, dreams  # noqa: E402
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint  # noqa: E402

TARGET_S = 10.0


def measure(repeats: int) -> dict:
    model, _ = load_checkpoint(DEFAULT_CHECKPOINT)
    times, first = [], None
    for _ in range(repeats):
        began = time.perf_counter()
        found = dreams(model, seed=0)
        times.append(time.perf_counter() - began)
        first = first or found
        same = all(torch.equal(first[k], found[k]) for k in found)
        assert same, "the same seed gave other images"
    median = statistics.median(times)
    return {
        "threads": torch.get_num_threads(),
        "repeats": repeats,
        "steps": DreamConfig().steps,
        "channels": sum(len(v) for v in first.values()),
        "median_s": round(median, 3),
        "max_s": round(max(times), 3),
        "target_s": TARGET_S,
        "meets_target": median <= TARGET_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="from-scratch runs timed")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (1: as the app serves)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(json.dumps(measure(args.repeats), indent=2))


if __name__ == "__main__":
    main()
