"""Where the eye is, before and after issue 24, side by side in one run.

    python benchmarks/legibility.py [--before DIR] [--rounds 3] [--json]

For each checkout (this one, and with --before another, e.g. a worktree of the commit before),
alternating round by round, in headless Chromium at a desktop (1400x900), a projector (853x480
CSS px: 1280x720 at 150%) and a phone (390x844):
- ready_s: from opening the Train page to a Start button that can be pressed;
- chart_on_screen: after Start, whether the first live chart is on the screen (its top in the
  window, and the chart whole or at least 60% of a screen of it) within 10 s and still a second
  later, without the user scrolling, and chart_top_px: where its top is then (window px);
- map_s and map_on_screen: on Inspect's whole network, from pressing conv2 map 0 (before: a
  click or tap near the top left of the conv2 chart) to its large view drawn, and whether that
  map (its heatmap's picture) is on the screen ("not opened by one press": a phone's tap only
  showed a tooltip).
Medians over rounds; the machine is named in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from playwright.sync_api import TimeoutError  # noqa: E402
from serving import CHROMIUM, CHROMIUM_FLAGS, running_app  # noqa: E402

SIZES = {
    "desktop": {"viewport": {"width": 1400, "height": 900}},
    "projector": {"viewport": {"width": 853, "height": 480}, "device_scale_factor": 1.5},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
# on the screen: its top in the window, and the element whole or at least 60% of a screen of it
ON_SCREEN = """(e) => { const b = e.getBoundingClientRect(), h = window.innerHeight;
    return b.top >= 0 && b.top + Math.min(b.height, 0.6 * h) <= h; }"""
TOP = "(e) => Math.round(e.getBoundingClientRect().top)"
# the live charts: the new page keys them; the old one drew them under "Timeline of the training"
CHARTS = ".st-key-result_charts .js-plotly-plot, .st-key-timeline .js-plotly-plot"
# the opened map: in a dialog now; below the overview before (its title names the map)
LARGE_TITLE = re.compile(r"conv2 map \d+: click a cell")  # before, a click may hit map 1


def press(tab, size: str, locator) -> None:
    locator.tap() if size == "phone" else locator.click()


def ready_seconds(tab, url: str) -> float:
    began = time.perf_counter()
    tab.goto(f"{url}/?preset=quick&epochs=2")
    tab.wait_for_function(
        "() => [...document.querySelectorAll('button')].some(b => "
        "b.innerText.includes('Start training') && !b.disabled)",
        timeout=60_000,
        polling=50,
    )
    return time.perf_counter() - began


def chart_on_screen(tab, size: str) -> tuple[bool, int]:
    """Whether the first live chart is whole on the screen within 10 s of Start; its top (px
    from the top of the window) then."""
    press(tab, size, tab.get_by_role("button", name="Start training"))
    charts = tab.locator(CHARTS).first
    charts.wait_for(state="attached", timeout=120_000)
    deadline = time.time() + 10
    while time.time() < deadline:
        if charts.evaluate(ON_SCREEN):
            time.sleep(1.0)  # and still there a second later (the page still growing above?)
            if charts.evaluate(ON_SCREEN):
                return True, charts.evaluate(TOP)
        time.sleep(0.2)
    return False, charts.evaluate(TOP)


def open_map(tab, size: str, url: str) -> tuple[float, bool]:
    tab.goto(f"{url}/inspect")
    new = tab.get_by_role("button", name="conv2 map 0: open it large", exact=False)
    old_tab = tab.get_by_role("tab", name="Whole network", exact=True)
    new.or_(old_tab).first.wait_for(timeout=60_000)  # the page is up, whichever it is
    time.sleep(2.0)
    began = time.perf_counter()
    if new.count():
        press(tab, size, new.first)
    else:  # before: a Plotly overview; its first conv2 map is at the top left of that chart
        press(tab, size, old_tab)
        stage = tab.locator(".gtitle", has_text="conv2 ·")
        area = tab.locator(".js-plotly-plot").filter(has=stage).locator(".nsewdrag")
        box = area.first.bounding_box()
        tab.mouse.click(box["x"] + box["width"] * 0.05, box["y"] + box["height"] * 0.1)
    title = tab.locator(".gtitle", has_text=LARGE_TITLE)
    large = tab.locator(".js-plotly-plot").filter(has=title).first
    try:
        large.wait_for(state="attached", timeout=30_000)
    except TimeoutError:  # before, on a phone: one tap only showed a tooltip
        return None, False
    tab.wait_for_function("(e) => e.querySelector('.main-svg')", arg=large.element_handle())
    took = time.perf_counter() - began
    picture = large.locator(".hm image, .heatmaplayer image").first  # the map's own pixels
    return took, bool(picture.evaluate(ON_SCREEN))


def one_round(root: Path, browser, store: Path) -> dict:
    found = {}
    env = {"LENET_MAX_JOBS": "2", "LENET_DATABASE_URL": f"sqlite:///{store}"}
    with running_app(env, script=str(root / "demo" / "serve.py")) as (url, _):
        for size, options in SIZES.items():
            context = browser.new_context(**options)
            tab = context.new_page()
            ready = ready_seconds(tab, url)
            on_screen, top = chart_on_screen(tab, size)
            map_s, map_shown = open_map(tab, size, url)
            found[size] = {"ready_s": ready, "chart_on_screen": on_screen, "chart_top": top,
                           "map_s": map_s, "map_on_screen": map_shown}  # fmt: skip
            print(root.name, size, found[size], file=sys.stderr, flush=True)
            context.close()
    return found


def summary(rounds: list[dict]) -> dict:
    return {
        size: {
            "ready_s": round(statistics.median(r[size]["ready_s"] for r in rounds), 2),
            "map_s": _median([r[size]["map_s"] for r in rounds if r[size]["map_s"] is not None]),
            "chart_on_screen": f"{sum(r[size]['chart_on_screen'] for r in rounds)}/{len(rounds)}",
            "chart_top_px": statistics.median(r[size]["chart_top"] for r in rounds),
            "map_on_screen": f"{sum(r[size]['map_on_screen'] for r in rounds)}/{len(rounds)}",
        }
        for size in SIZES
    }


def _median(values: list[float]) -> float | str:
    return round(statistics.median(values), 2) if values else "not opened by one press"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another checkout to measure beside this one")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    checkouts = {"now": ROOT} | ({"before": args.before.resolve()} if args.before else {})
    rounds = {name: [] for name in checkouts}
    with sync_playwright() as p, tempfile.TemporaryDirectory() as folder:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for _ in range(args.rounds):
            for name, root in checkouts.items():  # alternating: the machine's drift hits both
                store = Path(folder) / f"{name}.db"  # each its own run store
                rounds[name].append(one_round(root, browser, store))
        browser.close()
    result = {name: summary(found) for name, found in rounds.items()}
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
