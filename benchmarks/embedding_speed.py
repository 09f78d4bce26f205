"""The wait on the Inspect page's "Digits that look alike" part (the fc2 embedding), as the page
has it, for a new model (cold) and for the shipped one after the server's warm-up (warm).

    python benchmarks/embedding_speed.py [--repeats 3]

Cold: the page's cached `embedding()` under a model key it has not seen (what any new model
costs: fc2 features of 1,500 test digits, their t-SNE, the points' predictions), then what every
run of the part does: the current digit's fc2 features and place (the star), the figure built
and turned into the JSON that the browser gets. Warm: the same after `demo.preload.warm_shipped`
(what the server does at start, timed once), for the shipped model. One torch thread, as the app
serves. Each cold run also gives its CPU seconds: on a machine shared with other work they are
about what the wall time would be on a quiet one. Target: 3 s or less cold, on 2 cores. Prints
JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import plotly.io
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.serving import timed  # noqa: E402
from demo.figures import embedding_chart  # noqa: E402
from demo.models import choices as models  # noqa: E402
from demo.preload import warm_shipped  # noqa: E402
from demo.views.inspect.embedding import embedding  # noqa: E402
from lenet.data.mnist import load_mnist  # noqa: E402
from lenet.explain.embedding import DIGITS, STEPS, fc2_features, place  # noqa: E402
from lenet.files.checkpoint import DEFAULT_CHECKPOINT  # noqa: E402

TARGET_S = 3.0


def page_wait(model_key: str, model, data) -> float:
    """Seconds for one showing of the part: the (cached) embedding, the star and the figure."""
    began = time.perf_counter()
    result, predicted = embedding(model_key, model, data)
    star = place(result, fc2_features(model, data.test.images[:1])[0])
    details = np.column_stack([result.indices, predicted])
    figure = embedding_chart.embedding_figure(
        result.positions, result.labels, details, star, "★ this digit"
    )
    plotly.io.to_json(figure, validate=False)
    return time.perf_counter() - began


def measure(repeats: int) -> dict:
    """Cold (a new model key each repeat), the server's warm-up, then warm (the shipped model)."""
    torch.set_num_threads(1)  # as the app serves (demo.training.slots.SERVING_THREADS)
    data = load_mnist(fetch=False)
    model, _ = models.model_file(DEFAULT_CHECKPOINT)
    page_wait("warming torch", model, data)  # first-call costs that the server pays at start
    cold = [timed(lambda i=i: page_wait(f"new model {i}", model, data)) for i in range(repeats)]
    warm_up_s = timed(lambda: warm_shipped(data))[0]
    warm = [page_wait(models.SHIPPED, model, data) for _ in range(max(repeats, 5))]
    median = statistics.median(wall for wall, _ in cold)
    return {
        "digits": DIGITS,
        "tsne_steps": STEPS,
        "threads": torch.get_num_threads(),
        "cold_s": [round(wall, 2) for wall, _ in cold],
        "cold_cpu_s": [round(cpu, 2) for _, cpu in cold],
        "cold_median_s": round(median, 2),
        "server_warm_up_s": round(warm_up_s, 2),
        "warm_median_s": round(statistics.median(warm), 3),
        "target_s": TARGET_S,
        "meets_target": median <= TARGET_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="cold embeddings (new models)")
    repeats = parser.parse_args().repeats
    logging.getLogger("streamlit").setLevel(logging.ERROR)  # no Streamlit runtime here: fine
    print(json.dumps(measure(repeats), indent=2))


if __name__ == "__main__":
    main()
