"""The Class page with a full class's runs, in Chromium: cold and warm.

    python benchmarks/class_speed.py [--runs 1000] [--repeats 5] [--viewport desktop]

Fills a new SQLite run store through RunStore with `--runs` realistic runs (the presets' settings
with varied optimizer and learning rate, ~20 evaluations of curves each, ~250 kB of weights;
mostly finished, some diverged, interrupted, running), starts the app on it
(benchmarks.serving.running_app with LENET_DATABASE_URL) and times the Class page until its
leaderboard is drawn (its table shows rows), two ways:
- *visit*: `goto /class` in a new tab, a new session (page_speed.visit, as for the other pages):
  once cold (the server's first visit), then `--repeats` times warm;
- *switch*: in one open tab, a click on "Class" in the sidebar (from the Draw page, whose
  script run has ended): `--repeats` times, warm. This is the page's own cost, without loading
  Streamlit's front end and opening a session.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import page_speed  # noqa: E402
from benchmarks.serving import CHROMIUM, CHROMIUM_FLAGS, running_app  # noqa: E402
from lenet.store.runs import RunStore, open_store  # noqa: E402
from lenet.training.presets import PRESETS  # noqa: E402

WEIGHTS_BYTES = 250_000
EVALUATIONS = 20
NAMES = [
    f"{first} {letter}"
    for first in ("Ana", "Ben", "Cleo", "Dev", "Eli", "Fay")
    for letter in "ABCDE"
]
BEST_LR = {"sgd": 0.1, "adam": 1e-3, "adamw": 3e-3}
# the leaderboard is drawn: its table (demo/figures/class_table.py) shows rows
page_speed.USEFUL["class"] = f"""() => [...document.querySelectorAll(
    '.st-key-class_leaderboard tbody tr')].some(r => ({page_speed._VISIBLE})(r))"""


def curves(final: float, rng: random.Random) -> list[dict]:
    """~20 evaluations rising to `final`, as the recorder stores them."""
    out = []
    for i in range(EVALUATIONS):
        reached = final * (1 - math.exp(-4 * (i + 1) / EVALUATIONS))
        out.append({
            "step": 85 * (i + 1), "epoch": (i + 1) / 4, "event": "evaluation",
            "train_loss": 2.3 * (1 - reached) + rng.random() * 0.05,
            "train_accuracy": max(0.0, reached - rng.random() * 0.01),
            "val_loss": 2.3 * (1 - reached) + rng.random() * 0.05,
            "val_accuracy": reached,
        })  # fmt: skip
    return out


def one_run(store: RunStore, rng: random.Random, weights: bytes) -> None:
    """A run with a preset's settings and a random optimizer and lr; accuracy falls off with the
    distance of its lr from the optimizer's best; too high often diverges."""
    preset = rng.choice(list(PRESETS.values())).config
    optimizer = rng.choice(list(BEST_LR))
    lr = BEST_LR[optimizer] * 10 ** rng.uniform(-2, 1.3)
    config = replace(preset, optimizer=optimizer, lr=float(f"{lr:.3g}"), seed=rng.randrange(100))
    run_id = store.create(rng.choice(NAMES), config.to_dict(), source="cli")
    distance = abs(math.log10(lr / BEST_LR[optimizer]))
    too_high = lr > 5 * BEST_LR[optimizer]
    if rng.random() < 0.02:
        store.update(run_id, status=rng.choice(["queued", "running"]), curves=[])
        return
    if too_high and rng.random() < 0.5 * distance:
        store.finish(run_id, "diverged", curves(0.1, rng)[:3], {"seconds": 3.0, "steps": 255})
        return
    accuracy = max(0.1, 0.992 - 0.06 * distance**2 - rng.random() * 0.01)
    status = "interrupted" if rng.random() < 0.02 else "done"
    result = {"test_accuracy": accuracy, "seconds": rng.uniform(5, 90), "steps": 85 * EVALUATIONS}
    result["per_class"] = [min(1.0, accuracy + rng.uniform(-0.02, 0.01)) for _ in range(10)]
    if status == "interrupted":
        result = {"message": "The server restarted while this run was training."}
    store.finish(run_id, status, curves(accuracy, rng), result, checkpoint=weights)


def fill(url: str, runs: int, seed: int = 0) -> float:
    """`runs` runs written into the store at `url`; the seconds that took."""
    rng = random.Random(seed)
    weights = rng.randbytes(WEIGHTS_BYTES)
    store = open_store(url)
    began = time.perf_counter()
    for _ in range(runs):
        one_run(store, rng, weights)
    took = time.perf_counter() - began
    store.close()
    return took


def summary(times: list[float]) -> dict:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return {"s": [round(t, 2) for t in times], "median_s": round(statistics.median(times), 2),
            "p95_s": round(p95, 2)}  # fmt: skip


def open_link(tab, title: str) -> None:
    """Click a page in the sidebar's navigation (opening the sidebar first on a phone)."""
    link = tab.locator('[data-testid="stSidebarNavLink"]', has_text=title)
    if not link.is_visible():
        tab.locator('[data-testid="stExpandSidebarButton"]').click()
    link.click()


def switches(browser, url: str, viewport: tuple[int, int], repeats: int) -> list[float]:
    """Seconds from a click on "Class" (on the Draw page) to the leaderboard drawn."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    tab = context.new_page()
    tab.goto(f"{url}/draw")
    times = []
    for _ in range(repeats):
        tab.wait_for_function(page_speed.USEFUL["draw"], timeout=60_000, polling=50)
        time.sleep(0.3)
        tab.wait_for_function(page_speed.FINISHED, timeout=60_000, polling=50)
        began = time.perf_counter()
        open_link(tab, "Class")
        tab.wait_for_function(page_speed.USEFUL["class"], timeout=60_000, polling=20)
        times.append(time.perf_counter() - began)
        time.sleep(0.5)
        open_link(tab, "Draw")
    context.close()
    return times


def measure(args: argparse.Namespace) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="lenet-class-speed-"))
    url = f"sqlite:///{folder / 'class.db'}"
    fill_s = fill(url, args.runs)
    viewport = page_speed.VIEWPORTS[args.viewport]
    env = {"LENET_DATABASE_URL": url}
    with sync_playwright() as p, running_app(env) as (app_url, _):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        cold = page_speed.visit(browser, app_url, "class", viewport)
        warm = [page_speed.visit(browser, app_url, "class", viewport) for _ in range(args.repeats)]
        switched = switches(browser, app_url, viewport, args.repeats)
        browser.close()
    return {
        "runs": args.runs,
        "viewport": args.viewport,
        "fill_s": round(fill_s, 1),
        "database_mb": round((folder / "class.db").stat().st_size / 1e6, 1),
        "visit_cold_s": round(cold[0], 2),
        "visit_warm": summary([first for first, _ in warm]),
        "visit_warm_script_done": summary([done for _, done in warm]),
        "switch_warm": summary(switched),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="runs stored before timing")
    parser.add_argument("--repeats", type=int, default=5, help="warm visits and switches timed")
    parser.add_argument("--viewport", choices=list(page_speed.VIEWPORTS), default="desktop")
    print(json.dumps(measure(parser.parse_args())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
