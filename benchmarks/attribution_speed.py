"""All four attributions of one digit (Saliency, Integrated Gradients, Grad-CAM, Occlusion).

    python benchmarks/attribution_speed.py [--repeats 20] [--threads 1]

`lenet.explain.attributions.Explainer.explain` for one MNIST test digit and its label, shipped
model, CPU (Integrated Gradients: 64 steps; Occlusion: a 4x4 window moved 2 pixels, 225 windows in
one batch), after one warm-up call; a different test digit each repeat. Also the first call on a
fresh explainer (its private copy included). Prints JSON.
Target: all four for one digit in 1 s or less on 2 cores.
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

from lenet.data.mnist import load_mnist  # noqa: E402
from lenet.explain.attributions import Explainer  # noqa: E402
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint  # noqa: E402

TARGET_S = 1.0


def measure(repeats: int) -> dict:
    model, _ = load_checkpoint(DEFAULT_CHECKPOINT)
    test = load_mnist(fetch=False).test
    began = time.perf_counter()
    explainer = Explainer(model)
    explainer.explain(test.images[:1], int(test.labels[0]))
    first_s = time.perf_counter() - began
    times = []
    for i in range(1, repeats + 1):
        x, label = test.images[i : i + 1], int(test.labels[i])
        began = time.perf_counter()
        explainer.explain(x, label)
        times.append(time.perf_counter() - began)
    median = statistics.median(times)
    return {
        "threads": torch.get_num_threads(),
        "repeats": repeats,
        "first_call_s": round(first_s, 3),
        "median_s": round(median, 3),
        "max_s": round(max(times), 3),
        "target_s": TARGET_S,
        "meets_target": median <= TARGET_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="digits timed after the warm-up")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (1: as the app serves)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(json.dumps(measure(args.repeats), indent=2))


if __name__ == "__main__":
    main()
