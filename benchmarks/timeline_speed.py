"""Moving the Train page's timeline slider to a new position, in Chromium: the time until that
step's views are on the page (issue 13's target: median 0.3 s, p95 0.6 s, with warm caches).

    python benchmarks/timeline_speed.py [--repeats 30] [--viewport desktop] [--seed 0]

Starts the app (benchmarks/serving.py, its own run store), runs Quick demo in a new tab and waits
for its end. Then every snapshot is visited once, from the first with the arrow key (the
server's caches and the browser's image cache are warm: "first_visit" times), and then the
slider's track is clicked at `--repeats` random other positions. Each time runs in the page from
the click (pointerdown) to the first animation frame that shows the new step everywhere: the
"Step N of M" line and "After step N" under the probabilities, the loss chart's cursor and the
probability bars changed, and the filters picture changed and loaded. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.serving import CHROMIUM, CHROMIUM_FLAGS, running_app  # noqa: E402

VIEWPORTS = {"desktop": (1440, 1000), "phone": (390, 844)}

# what the timeline shows now: its step, the filters picture, the loss cursor, the bars
STATE = """() => {
    const root = document.querySelector('.st-key-timeline');
    const texts = [...root.querySelectorAll('p')].map(p => p.innerText);
    const line = texts.find(t => /^Step [\\d,]+ of/.test(t)) || '';
    const said = texts.find(t => /^After step [\\d,]+ the network/.test(t)) || '';
    const number = (t) => (t.match(/[Ss]tep ([\\d,]+)/) || [, ''])[1].replace(/,/g, '');
    const images = [...root.querySelectorAll('[data-testid="stImage"] img')];
    const plot = (title) => [...root.querySelectorAll('.js-plotly-plot')]
        .find(p => (p.querySelector('.gtitle')?.textContent || '').includes(title));
    const loss = plot('loss'), bars = plot('Probability');
    return {
        step: number(line), said: number(said),
        filters: images[1]?.src || '',
        loaded: images.length >= 4 && images.every(i => i.complete && i.naturalWidth > 0),
        cursor: String(loss?.layout?.shapes?.[0]?.x0),
        bars: JSON.stringify(bars?.data?.[0]?.y || []),
    };
}"""

# true (the ms since the click) once every view has left `old` behind and agrees on the step
SHOWN = f"""(old) => {{
    const now = ({STATE})();
    const moved = now.step !== old.step && now.said === now.step && now.filters !== old.filters
        && now.loaded && now.cursor !== old.cursor && now.bars !== old.bars;
    return moved ? {{ms: performance.now() - window.__clicked, step: now.step}} : false;
}}"""

ARM = """() => { window.__clicked = performance.now();
    addEventListener('pointerdown', () => { window.__clicked = performance.now(); },
                     {once: true, capture: true}); }"""


def quick_demo(tab, url: str) -> None:
    tab.goto(f"{url}/?preset=quick")
    tab.get_by_role("button", name="Start training").click()
    tab.locator('[data-testid="stMetric"]', has_text="Test accuracy").wait_for(timeout=300_000)
    tab.wait_for_function(
        f"() => {{ const s = ({STATE})(); return s.step && s.loaded && "
        "document.querySelector('.st-key-timeline input[type=range]')?.value === "
        "document.querySelector('.st-key-timeline input[type=range]')?.max; }",
        timeout=60_000,
    )


def wait_shown(tab, old: dict) -> tuple[float, str]:
    """(seconds from the click, or the key press, to the new step on the page; that step)."""
    done = tab.wait_for_function(SHOWN, arg=old, polling="raf", timeout=30_000).json_value()
    return done["ms"] / 1000, done["step"]


def warm_up(tab) -> tuple[list[str], list[float]]:
    """Visit every snapshot once, from the first; its steps and the time each took."""
    thumb = tab.locator(".st-key-timeline input[type=range]")
    thumb.focus()
    thumb.press("Home")
    tab.wait_for_function(f"() => ({STATE})().step === '0' && ({STATE})().loaded")
    steps, times = ["0"], []
    for _ in range(int(thumb.get_attribute("max"))):
        old = tab.evaluate(STATE)
        tab.evaluate(ARM)
        thumb.press("ArrowRight")
        seconds, step = wait_shown(tab, old)
        steps.append(step)
        times.append(seconds)
    return steps, times


def click_position(tab, index: int, count: int) -> None:
    """Click the slider's track where snapshot `index` of `count` sits."""
    track = tab.locator('.st-key-timeline [data-testid="stSlider"] [style*="touch-action"]').first
    box = track.bounding_box()
    x = box["x"] + box["width"] * index / (count - 1)
    tab.mouse.click(x, box["y"] + box["height"] / 2)


def measure(args: argparse.Namespace) -> dict:
    width, height = VIEWPORTS[args.viewport]
    rng = random.Random(args.seed)
    folder = tempfile.mkdtemp(prefix="timeline-speed-")
    own = {"LENET_DATABASE_URL": f"sqlite:///{folder}/lenet.db", "LENET_CHECKPOINT_DIR": folder}
    with running_app(own) as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        tab = browser.new_page(viewport={"width": width, "height": height})
        quick_demo(tab, url)
        tab.locator(".st-key-timeline input[type=range]").scroll_into_view_if_needed()
        steps, first_visits = warm_up(tab)
        times, wrong, at = [], 0, len(steps) - 1
        for _ in range(args.repeats):
            # two or more places away: a click that lands on a neighbour still moves the step
            index = rng.choice([i for i in range(len(steps)) if abs(i - at) >= 2])
            old = tab.evaluate(STATE)
            tab.evaluate(ARM)
            click_position(tab, index, len(steps))
            seconds, step = wait_shown(tab, old)
            times.append(seconds)
            wrong += step != steps[index]  # the click landed on a neighbour: timed all the same
            at = steps.index(step)
            time.sleep(args.pause)
        browser.close()
    ordered = sorted(times)
    return {
        "viewport": args.viewport,
        "snapshots": len(steps),
        "repeats": len(times),
        "median_s": round(statistics.median(times), 3),
        "p95_s": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 3),
        "max_s": round(ordered[-1], 3),
        "first_visit_median_s": round(statistics.median(first_visits), 3),
        "clicks_on_a_neighbour": wrong,
        "times_s": [round(t, 3) for t in times],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="random slider moves timed")
    parser.add_argument("--viewport", choices=list(VIEWPORTS), default="desktop")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between two moves")
    print(json.dumps(measure(parser.parse_args())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
