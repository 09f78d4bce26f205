"""The app's costs, measured in a real browser: start-up, and what live charts cost training.

    python benchmarks/app_speed.py [--json] [--epochs 2] [--repeats 2]

1. Start-up, warm: `streamlit run demo/app.py` until the Train page has rendered in headless
   Chromium (server start, imports, MNIST load, first render), after one start has warmed the
   machine's caches.
2. Throughput: the same settings (the `fast` preset) trained by `python -m lenet.train` and from
   the app's Train page, watched live in the browser; both report the training time of the run
   (`Finished.seconds`), alternated `--repeats` times. Target: the app costs at most 10%.
Needs Debian's chromium (/usr/bin/chromium) and the Python package playwright.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "demo/app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def time_startup(browser) -> float:
    """Seconds from launching the server to the Train page's Start button on screen."""
    import urllib.request

    port = free_port()
    began = time.perf_counter()
    server = start_app(port)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
        seconds = time.perf_counter() - began
        page.close()
        return seconds
    finally:
        server.terminate()
        server.wait(10)


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


def app_seconds(page, port: int, epochs: int) -> float:
    page.goto(f"http://127.0.0.1:{port}/?preset=fast&epochs={epochs}")
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Training time").wait_for(timeout=300_000)
    value = page.locator('[data-testid="stMetric"]', has_text="Training time")
    return float(re.search(r"([0-9.]+) s", value.inner_text()).group(1))


def main() -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    scratch = ROOT / "checkpoints" / ".benchmark.pt"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        time_startup(browser)  # cold: fills the OS caches
        startups = [time_startup(browser) for _ in range(2)]
        print(
            f"start-up to first render, warm: {min(startups):.2f} s (runs {startups})", flush=True
        )
        port = free_port()
        server = start_app(port)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            cli, app = [], []
            for _ in range(args.repeats):
                cli.append(cli_seconds(args.epochs, scratch))
                app.append(app_seconds(page, port, args.epochs))
                print(
                    f"fast preset, {args.epochs} epochs: CLI {cli[-1]:.2f} s, "
                    f"app (live charts) {app[-1]:.2f} s",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(10)
            for leftover in scratch.parent.glob(".benchmark*"):
                leftover.unlink()
        browser.close()
    cost = median(app) / median(cli) - 1
    print(f"live charts cost {cost:+.1%} of training time (median of {args.repeats})")
    if args.json:
        print(
            json.dumps(
                {
                    "startup_warm_s": round(min(startups), 2),
                    "cli_train_s": cli,
                    "app_train_s": app,
                    "live_chart_cost": round(cost, 4),
                    "cpus": os.cpu_count(),
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
