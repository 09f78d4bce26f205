"""The Inspect page's costs: feature maps, the confusion matrix, and the page in a browser.

    python benchmarks/inspect_speed.py [--json] [--inputs 8]

1. All feature maps of one input (`lenet.explain.features.feature_maps`), shipped model, CPU: median
of
   300. Target: 10 ms or less.
2. Confusion matrix of the shipped model on the 10,000 test images, computed from scratch.
   Target: 2 s or less (the app computes it once per model).
3. In Chromium: on the Inspect page, a new test digit typed in; the time until the whole page
   has re-rendered (its caption names the new digit and no element is stale any more).
   Target: 1.5 s or less.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from serving import CHROMIUM, CHROMIUM_FLAGS, running_app, show_part  # noqa: E402

from lenet.data.mnist import load_mnist  # noqa: E402
from lenet.explain.features import feature_maps  # noqa: E402
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint  # noqa: E402
from lenet.training.metrics import confusion_matrix, predict_logits  # noqa: E402

RENDERED = """(index) => {
  const named = [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
    .some(e => e.innerText.includes(`test digit #${index} `));
  const stale = document.querySelector('[data-stale="true"]');
  return named && !stale;
}"""


def library_figures() -> tuple[float, float]:
    model, _ = load_checkpoint(DEFAULT_CHECKPOINT)
    data = load_mnist(fetch=False)
    x = data.test.images[:1]
    for _ in range(20):
        feature_maps(model, x)
    times = []
    for _ in range(300):
        began = time.perf_counter()
        feature_maps(model, x)
        times.append(time.perf_counter() - began)
    began = time.perf_counter()
    matrix = confusion_matrix(predict_logits(model, data.test.images).argmax(1), data.test.labels)
    confusion_s = time.perf_counter() - began
    assert int(matrix.sum()) == 10_000
    return 1000 * statistics.median(times), confusion_s


def browser_seconds(inputs: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    with running_app() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.goto(f"{url}/inspect")
        show_part(page, "Feature maps")
        page.wait_for_function(RENDERED, arg=0, timeout=60_000)
        box = page.get_by_role("spinbutton", name="Test digit number")
        seconds = []
        for index in np.random.default_rng(1).integers(1, 10_000, inputs).tolist():
            box.fill(str(index))
            began = time.perf_counter()
            box.press("Enter")
            page.wait_for_function(RENDERED, arg=index, timeout=60_000, polling=10)
            seconds.append(time.perf_counter() - began)
        browser.close()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--inputs", type=int, default=8)
    args = parser.parse_args()
    maps_ms, confusion_s = library_figures()
    print(f"all feature maps of one input: median {maps_ms:.2f} ms", flush=True)
    print(f"confusion matrix, 10,000 test images: {confusion_s:.2f} s", flush=True)
    seconds = browser_seconds(args.inputs)
    print(
        f"Inspect page re-rendered after a new input: median {statistics.median(seconds):.2f} s,"
        f" max {max(seconds):.2f} s ({len(seconds)} inputs)"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "feature_maps_ms_median": round(maps_ms, 3),
                    "confusion_matrix_s": round(confusion_s, 3),
                    "inspect_render_median_s": round(statistics.median(seconds), 3),
                    "inspect_render_max_s": round(max(seconds), 3),
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
