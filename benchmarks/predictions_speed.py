"""The wait for a model's answers on the 10,000 test digits: Draw's "One it gets wrong", and
Inspect's Mistakes, Confusion matrix and Edit a filter, for a new model (cold) and for the
shipped one after the server's warm-up (warm).

    python benchmarks/predictions_speed.py [--repeats 5]

`demo.models.choices.test_probabilities` then a misread digit picked as Draw's button does. First:
the shipped model's first call in a fresh process (its file read, then the whole test set), what the
first student waited for before the server's warm-up did it. Cold: a model with no cache (the
live or an uploaded one; a run's or a saved file's costs the same once). Warm: the shipped model
after `demo.models.choices.test_probabilities` ran once, as `demo.preload.warm_shipped` does. One
torch thread, as the app serves; CPU seconds beside the wall time, for a machine shared with other
work. Target: 1 s or less cold, on 2 cores. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.serving import timed  # noqa: E402
from demo.models import choices as models  # noqa: E402
from lenet.data.mnist import load_mnist  # noqa: E402
from lenet.files.checkpoint import DEFAULT_CHECKPOINT  # noqa: E402

TARGET_S = 1.0


def pick_wrong(model_key: str, model, data) -> int:
    """A test digit the model misreads, as Draw's "One it gets wrong" picks it."""
    probabilities = models.test_probabilities(model_key, model, data)
    wrong = (probabilities.argmax(1) != data.test.labels).nonzero().flatten().tolist()
    return int(np.random.default_rng(0).choice(wrong))


def measure(repeats: int) -> dict:
    """The shipped model's first call, then cold (no cache) and warm (the shipped model)."""
    torch.set_num_threads(1)  # as the app serves (demo.training.slots.SERVING_THREADS)
    data = load_mnist(fetch=False)
    first = timed(
        lambda: pick_wrong(models.SHIPPED, models.model_file(DEFAULT_CHECKPOINT)[0], data)
    )
    model, _ = models.model_file(DEFAULT_CHECKPOINT)
    cold = [timed(lambda: pick_wrong("live:new", model, data)) for _ in range(repeats)]
    warm = [timed(lambda: pick_wrong(models.SHIPPED, model, data))[0] for _ in range(repeats)]
    median = statistics.median(wall for wall, _ in cold)
    return {
        "threads": torch.get_num_threads(),
        "shipped_first_s": round(first[0], 2),
        "shipped_first_cpu_s": round(first[1], 2),
        "cold_s": [round(wall, 2) for wall, _ in cold],
        "cold_cpu_s": [round(cpu, 2) for _, cpu in cold],
        "cold_median_s": round(median, 2),
        "warm_median_s": round(statistics.median(warm), 4),
        "target_s": TARGET_S,
        "meets_target": median <= TARGET_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed calls, cold and warm")
    print(json.dumps(measure(parser.parse_args().repeats), indent=2))


if __name__ == "__main__":
    main()
