"""First useful content of a page, in Chromium: cold (a just-started server) and warm.

    python benchmarks/page_speed.py --page inspect [--cold] [--warm] [--runs 3] [--root DIR]

The clock starts at `page.goto(f"{url}/{page}")` and stops when the page's first useful content
is visible (see USEFUL): Train's Start button, Draw's canvas, Inspect's prediction or first
feature-map chart (Draw's canvas sits in a shadow root: the check looks inside those too).
Cold: the first visit to a server started for that run (it was only asked for its health).
Warm: 3 later visits in new tabs (new sessions) to that server, each after the previous visit's
script run ended. `--root` measures another checkout with that checkout's own
benchmarks/serving.py (so its own entry script), so a before/after pair can be run alternately
on one machine. Prints one JSON object: the times, their medians, and when the runs ended.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import time
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
VIEWPORTS = {"desktop": (1440, 1000), "phone": (390, 844)}

# a JS predicate per page: true once its first useful content is visible
_VISIBLE = "(e) => e.checkVisibility() && e.getBoundingClientRect().height > 0"
# elements matching a selector, in the page and in every (open) shadow root: the canvas is in one
_DEEP = """(selector) => {
    const all = (root) => [...root.querySelectorAll(selector), ...[...root.querySelectorAll('*')]
        .filter(e => e.shadowRoot).flatMap(e => all(e.shadowRoot))];
    return all(document);
}"""
USEFUL = {
    "train": f"""() => [...document.querySelectorAll('button')]
        .some(b => b.innerText.includes('Start training') && ({_VISIBLE})(b))""",
    "draw": f"""() => ({_DEEP})('canvas.upper-canvas').some({_VISIBLE})""",
    "inspect": f"""() => {{
        const metric = [...document.querySelectorAll('[data-testid="stMetric"]')]
            .some(m => m.innerText.includes('Prediction')
                 && /\\d/.test(m.querySelector('[data-testid="stMetricValue"]')?.innerText || '')
                 && ({_VISIBLE})(m));
        const maps = [...document.querySelectorAll('.js-plotly-plot')]
            .some(p => (p.querySelector('.gtitle')?.textContent || '').includes('feature maps')
                 && ({_VISIBLE})(p));
        return metric || maps;
    }}""",
}


def load_serving(root: Path):
    """`benchmarks/serving.py` of the checkout at `root` (it starts that checkout's app)."""
    spec = importlib.util.spec_from_file_location(
        f"serving_{abs(hash(root))}", root / "benchmarks" / "serving.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# the script run is over: Streamlit's "Running..." widget is gone and nothing is stale
FINISHED = """() => !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-stale="true"]')
    && document.querySelector('[data-testid="stMain"]') !== null"""


def visit(browser, url: str, page: str, viewport: tuple[int, int]) -> tuple[float, float]:
    """Seconds from goto to the page's first useful content and to the end of its script run,
    in a new tab (a new session); waiting for the end keeps one visit from slowing the next."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    tab = context.new_page()
    began = time.perf_counter()
    tab.goto(f"{url}/{page}", wait_until="commit")
    tab.wait_for_function(USEFUL[page], timeout=120_000, polling=20)
    first = time.perf_counter() - began
    time.sleep(0.3)  # the status widget appears a moment after the run starts
    try:
        tab.wait_for_function(FINISHED, timeout=60_000, polling=50)
        finished = time.perf_counter() - began
    except PlaywrightTimeout:  # a page that keeps polling never settles
        finished = float("nan")
    context.close()
    return first, finished


def measure(args: argparse.Namespace) -> dict:
    """Cold and warm visits to `args.runs` servers of the checkout at `args.root`, summarised."""
    serving = load_serving(Path(args.root).resolve())
    times: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": [], "launch": []}
    viewport = VIEWPORTS[args.viewport]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=serving.CHROMIUM, args=serving.CHROMIUM_FLAGS)
        for _ in range(args.runs):
            launched = time.perf_counter()
            with serving.running_app() as (url, _):
                answering = time.perf_counter() - launched
                first = visit(browser, url, args.page, viewport)
                if args.cold:
                    times["cold"].append(first)
                    times["launch"].append((answering + first[0], answering))
                if args.warm:
                    times["warm"] += [visit(browser, url, args.page, viewport) for _ in range(3)]
        browser.close()
    result = {"page": args.page, "root": str(Path(args.root).resolve()), "viewport": args.viewport}
    for name, pairs in times.items():
        if pairs:
            result[f"{name}_s"] = [round(first, 2) for first, _ in pairs]
            result[f"{name}_median_s"] = round(statistics.median(f for f, _ in pairs), 2)
            second = "server_answering" if name == "launch" else "script_done"
            result[f"{name}_{second}_median_s"] = round(statistics.median(d for _, d in pairs), 2)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", choices=list(USEFUL), default="inspect")
    parser.add_argument("--cold", action="store_true", help="time the first visit to a new server")
    parser.add_argument("--warm", action="store_true", help="time 3 later visits per server")
    parser.add_argument("--runs", type=int, default=3, help="servers started, one after another")
    parser.add_argument("--root", default=str(ROOT), help="the checkout to measure")
    parser.add_argument("--viewport", choices=list(VIEWPORTS), default="desktop")
    args = parser.parse_args()
    if not (args.cold or args.warm):
        args.cold = args.warm = True
    print(json.dumps(measure(args)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
