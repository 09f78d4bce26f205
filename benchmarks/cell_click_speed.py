"""Clicking a cell of a conv map on the Inspect page, in Chromium: the time until that cell's
highlighted arithmetic is on the page (issue 14's target: median <= 0.5 s).

    python benchmarks/cell_click_speed.py [--repeats 20] [--viewport desktop] [--seed 0]

Starts the app (benchmarks/serving.py), opens Inspect's "Whole network" part, opens conv2 map 0
by clicking it in the overview and clicks one cell to warm up. Then it clicks `--repeats` random
other cells of the large map; each time runs in the page from the click (pointerdown) to the
first animation frame where the arithmetic names the new cell with its check mark and the
large map outlines it. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.serving import CHROMIUM, CHROMIUM_FLAGS, running_app  # noqa: E402

VIEWPORTS = {"desktop": (1440, 1000), "phone": (390, 844)}
SIDE = {"conv1": 28, "conv2": 10}

PLOT = """(title) => [...document.querySelectorAll('.js-plotly-plot')]
    .find(p => (p.querySelector('.gtitle')?.textContent || '').startsWith(title))"""

# true (ms since the click) once the arithmetic shows (row, col) checked and the map outlines it
SHOWN = f"""([title, row, col]) => {{
    const said = [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
        .some(m => m.innerText.includes(`row ${{row}}, column ${{col}} ✔`));
    const box = ({PLOT})(title)?.layout?.shapes?.[0];
    const outlined = box && Math.round(box.y0 + 0.5) === row && Math.round(box.x0 + 0.5) === col;
    return said && outlined ? performance.now() - window.__clicked : false;
}}"""

ARM = """() => { window.__clicked = performance.now();
    addEventListener('pointerdown', () => { window.__clicked = performance.now(); },
                     {once: true, capture: true}); }"""

SETTLED = """() => !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-stale="true"]')"""


def settle(tab) -> None:
    """Wait for the script run the last action started to finish, and the charts to draw."""
    time.sleep(0.5)
    tab.wait_for_function(SETTLED, timeout=60_000)
    time.sleep(0.5)


def plot_area(tab, title: str):
    """The plotting area (the drag layer) of the chart whose title starts with `title`."""
    plot = tab.locator(".js-plotly-plot", has=tab.locator(".gtitle", has_text=title)).first
    plot.scroll_into_view_if_needed()
    return plot.locator(".nsewdrag").first


# the page position of data point (x, y) of a chart: where Plotly draws that cell's centre
WHERE = f"""([title, x, y]) => {{
    const plot = ({PLOT})(title), box = plot.getBoundingClientRect();
    const xa = plot._fullLayout.xaxis, ya = plot._fullLayout.yaxis;
    return [box.left + xa._offset + xa.d2p(x), box.top + ya._offset + ya.d2p(y)];
}}"""


def click_cell(tab, title: str, row: int, col: int) -> None:
    """Click the centre of cell (row, col) of the map in the chart titled `title`."""
    plot_area(tab, title)  # scrolled into view
    x, y = tab.evaluate(WHERE, [title, col, row])
    tab.mouse.click(x, y)


def open_network(tab, url: str, layer: str = "conv2") -> None:
    """Inspect -> Whole network (the page opens on it) -> open map 0 of `layer` by pressing it
    in the overview: it opens large in a dialog."""
    tab.goto(f"{url}/inspect")
    first = tab.get_by_role("button", name=re.compile(rf"^{layer} map 0: open it large"))
    first.wait_for(timeout=60_000)
    settle(tab)
    first.click()
    tab.get_by_role("dialog").get_by_text(f"{layer} map 0: click a cell").first.wait_for(
        timeout=30_000
    )
    settle(tab)


def time_click(tab, layer: str, row: int, col: int) -> float:
    title = f"{layer} map 0: click a cell"
    tab.evaluate(ARM)
    click_cell(tab, title, row, col)
    done = tab.wait_for_function(SHOWN, arg=[title, row, col], polling="raf", timeout=30_000)
    return done.json_value() / 1000


def measure(args: argparse.Namespace) -> dict:
    width, height = VIEWPORTS[args.viewport]
    rng = random.Random(args.seed)
    side = SIDE[args.layer]
    with running_app({}) as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        tab = browser.new_page(viewport={"width": width, "height": height})
        open_network(tab, url, args.layer)
        first = time_click(tab, args.layer, side // 2, side // 2)
        times, at = [], (side // 2, side // 2)
        for _ in range(args.repeats):
            cell = at
            while cell == at:
                cell = (rng.randrange(side), rng.randrange(side))
            times.append(time_click(tab, args.layer, *cell))
            at = cell
            time.sleep(args.pause)
        browser.close()
    ordered = sorted(times)
    return {
        "viewport": args.viewport,
        "layer": args.layer,
        "repeats": len(times),
        "median_s": round(statistics.median(times), 3),
        "p95_s": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 3),
        "max_s": round(ordered[-1], 3),
        "first_click_s": round(first, 3),
        "times_s": [round(t, 3) for t in times],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="random cell clicks timed")
    parser.add_argument("--viewport", choices=list(VIEWPORTS), default="desktop")
    parser.add_argument("--layer", choices=list(SIDE), default="conv2")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between two clicks")
    print(json.dumps(measure(parser.parse_args())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
