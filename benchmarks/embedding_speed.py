"""The cost of the Inspect page's embedding tab, computed from scratch (the app then caches it).

    python benchmarks/embedding_speed.py [--repeats 3]

fc2 features of 2,000 class-balanced test digits of the shipped model, and their t-SNE to 2-D
(`lenet.embedding.embed`), timed whole; also the placing of one new digit. Target: 15 s or less
for the embedding, once per model. Prints JSON.
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

from lenet.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint  # noqa: E402
from lenet.data import load_mnist  # noqa: E402
from lenet.embedding import DIGITS, embed, fc2_features, place  # noqa: E402

TARGET_S = 15.0


def measure(repeats: int) -> dict:
    """Seconds for the whole embedding (each repeat from scratch) and for placing one digit."""
    torch.set_num_threads(1)  # as one app session on a busy classroom server
    model, _ = load_checkpoint(DEFAULT_CHECKPOINT)
    data = load_mnist(fetch=False)
    seconds = []
    for _ in range(repeats):
        began = time.perf_counter()
        embedding = embed(model, data.test.images, data.test.labels)
        seconds.append(time.perf_counter() - began)
    feature = fc2_features(model, data.test.images[:1])[0]
    began = time.perf_counter()
    place(embedding, feature)
    median = statistics.median(seconds)
    return {
        "digits": DIGITS,
        "repeats": repeats,
        "embedding_s": [round(s, 2) for s in seconds],
        "embedding_median_s": round(median, 2),
        "place_one_ms": round(1000 * (time.perf_counter() - began), 3),
        "target_s": TARGET_S,
        "meets_target": median <= TARGET_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="embeddings computed from scratch")
    print(json.dumps(measure(parser.parse_args().repeats), indent=2))


if __name__ == "__main__":
    main()
