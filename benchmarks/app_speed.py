"""The app's costs, measured in a real browser: start-up, and what live charts cost training.

    python benchmarks/app_speed.py [--json] [--epochs 2] [--repeats 2]

1. Start-up, warm: `streamlit run demo/app.py` until the Train page has rendered in headless
   Chromium (server start, imports, MNIST load, first render), after one start has warmed the
   machine's caches.
2. Throughput: the same settings (the `fast` preset) trained by `python -m lenet.train` and by
   the app's job machinery with its live charts, each reporting the run's training time
   (`Finished.seconds`), alternated `--repeats` times. Target: the app costs at most 10%.
   The app is measured two ways: server side (the Train page re-rendered once a second through
   Streamlit's AppTest, as its polling fragment does, with no browser), which is what a server
   pays when its students' browsers run on their own machines; and with headless Chromium on
   this same 2-core machine, which adds the browser's own drawing to the training box.
Needs Debian's chromium (/usr/bin/chromium) and the Python package playwright.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serving import CHROMIUM, CHROMIUM_FLAGS, ROOT, running_app  # noqa: E402


def time_startup(browser) -> float:
    """Seconds from launching the server to the Train page's Start button on screen."""
    began = time.perf_counter()
    with running_app() as (url, _):
        page = browser.new_page()
        page.goto(f"{url}/")
        page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
        seconds = time.perf_counter() - began
        page.close()
    return seconds


def cli_seconds(epochs: int, out: Path) -> float:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lenet.train",
            "--preset",
            "fast",
            "--epochs",
            str(epochs),
            "--device",
            "cpu",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(re.search(r"steps, ([0-9.]+) s\)", done.stdout).group(1))


def app_seconds(page, url: str, epochs: int) -> float:
    page.goto(f"{url}/?preset=fast&epochs={epochs}")
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Training time").wait_for(timeout=300_000)
    value = page.locator('[data-testid="stMetric"]', has_text="Training time")
    return float(re.search(r"([0-9.]+) s", value.inner_text()).group(1))


def apptest_seconds(epochs: int) -> float:
    """The Train page driven in-process: Start, then one full re-render a second until done."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "demo" / "app.py"), default_timeout=60)
    at.query_params.update(preset="fast", epochs=str(epochs))
    at.run()
    next(b for b in at.button if b.label == "Start training").click().run()
    while True:
        time.sleep(1.0)
        at.run()
        metrics = [m for m in at.metric if m.label == "Training time"]
        if metrics:
            return float(metrics[0].value.split()[0])
        if at.exception or any(e for e in at.error):
            raise RuntimeError("the run failed in AppTest")


def main() -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    scratch = ROOT / "checkpoints" / ".benchmark.pt"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        time_startup(browser)  # cold: fills the OS caches
        startups = [time_startup(browser) for _ in range(2)]
        print(
            f"start-up to first render, warm: {min(startups):.2f} s (runs {startups})", flush=True
        )
        try:
            with running_app() as (url, _):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                cli, server_side, app = [], [], []
                for _ in range(args.repeats):
                    cli.append(cli_seconds(args.epochs, scratch))
                    server_side.append(apptest_seconds(args.epochs))
                    app.append(app_seconds(page, url, args.epochs))
                    print(
                        f"fast preset, {args.epochs} epochs: CLI {cli[-1]:.2f} s | app, "
                        f"server side {server_side[-1]:.2f} s | app + Chromium on this "
                        f"machine {app[-1]:.2f} s",
                        flush=True,
                    )
        finally:
            for leftover in scratch.parent.glob(".benchmark*"):
                leftover.unlink()
        browser.close()
    cost = median(server_side) / median(cli) - 1
    cost_with_browser = median(app) / median(cli) - 1
    print(
        f"live charts cost {cost:+.1%} of training time server side, {cost_with_browser:+.1%} "
        f"with the browser on the same 2 cores (medians of {args.repeats})"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "startup_warm_s": round(min(startups), 2),
                    "cli_train_s": cli,
                    "app_server_side_train_s": server_side,
                    "app_browser_train_s": app,
                    "live_chart_cost": round(cost, 4),
                    "live_chart_cost_with_browser": round(cost_with_browser, 4),
                    "cpus": os.cpu_count(),
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
