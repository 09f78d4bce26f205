"""How soon a run trains: first-batch latency, and Quick demo click-to-results in Chromium.

    python benchmarks/first_batch.py [--root DIR] [--runs 3]

1. Job level (no browser): in a fresh Python process set up like the app server (for this
   checkout: `demo.preload.warm_up()`, which starts the worker server with MNIST loaded; an older
   checkout has no warm-up), 5 s later, as when a student clicks after reading the page, a Quick
   demo `TrainingJob` on the full MNIST set starts with a free slot: seconds from `start()` to its
   first batch in `snapshot()`, for the first run of the server and the runs after it.
2. Browser: a just-started server (the checkout's own benchmarks/serving.py), `/?preset=quick`,
   click Start training, until the results ("Training time") show; then a second run.

`--root` measures another checkout (e.g. a worktree of the previous commit), so before and after
run side by side on one machine. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

JOB_LEVEL = """
import json, sys, time
sys.path.insert(0, {root!r})
try:
    from demo.preload import warm_up
except ImportError:
    warm_up = None
if warm_up is not None:
    warm_up()
    from demo.training.worker import DataSource
    source = DataSource(verified=True)
else:
    from demo.training.jobs import DataSource
    source = DataSource()
from demo.training.jobs import JobSlots, TrainingJob
from lenet.training.presets import PRESETS
time.sleep(5)
firsts, totals = [], []
for _ in range({runs}):
    began = time.perf_counter()
    job = TrainingJob(PRESETS["quick"].config, source, JobSlots(1)).start()
    first = None
    while job.snapshot().active:
        if first is None and job.snapshot().batches:
            first = time.perf_counter() - began
        time.sleep(0.005)
    firsts.append(first)
    totals.append(time.perf_counter() - began)
print(json.dumps({{"first_batch_s": firsts, "run_s": totals}}))
"""


def job_level(root: Path, runs: int) -> dict:
    code = JOB_LEVEL.format(root=str(root), runs=runs)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def click_to_results(root: Path, runs: int) -> list[float]:
    """Seconds from the click on Start to the results, for `runs` runs in one tab."""
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from page_speed import load_serving

    serving = load_serving(root)
    seconds = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=serving.CHROMIUM, args=serving.CHROMIUM_FLAGS)
        with serving.running_app() as (url, _):
            tab = browser.new_page(viewport={"width": 1440, "height": 1000})
            tab.goto(f"{url}/?preset=quick")
            start = tab.get_by_role("button", name="Start training")
            for _ in range(runs):
                start.wait_for(timeout=120_000)
                tab.wait_for_function(
                    "() => [...document.querySelectorAll('button')].some(b => "
                    "b.innerText.includes('Start training') && !b.disabled)",
                    timeout=120_000,
                )
                results = tab.get_by_text("Training time")
                before = results.count()
                began = time.perf_counter()
                start.click()
                if before:  # the old results go first
                    tab.get_by_text("Training time").first.wait_for(state="detached")
                results.first.wait_for(timeout=120_000)
                seconds.append(round(time.perf_counter() - began, 2))
        browser.close()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(ROOT), help="the checkout to measure")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = Path(args.root).resolve()
    jobs = job_level(root, args.runs)
    clicks = click_to_results(root, 2)
    result = {
        "root": str(root),
        "first_batch_s": [round(s, 2) for s in jobs["first_batch_s"]],
        "first_batch_median_s": round(statistics.median(jobs["first_batch_s"]), 2),
        "quick_run_s": [round(s, 2) for s in jobs["run_s"]],
        "quick_click_to_results_s": clicks,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
