"""The light client against one real browser: the same strokes read the same, side by side.

    python benchmarks/light_check.py [--repeats 1] [--json]

On one server, Chromium draws a 1, a 7 and a 0 on the Draw page with the mouse
(`benchmarks.draw_speed.draw`, as the other benchmarks do) and its readings and timings (pen up ->
Prediction on the page) are taken; the canvas PNG it sends is caught off the websocket. Then a
light client (`benchmarks/st_client.py`) sends its own rendering of the same strokes
(`benchmarks/light_drawing.py`) and times pen up -> Prediction received. Printed per digit: both
readings and percentages, both times, and how alike the two PNGs are: soft IoU of their alpha,
and the largest gap between the shipped model's ten probabilities on each (`lenet.predict`).
Each side's CPU per second of drawing is measured too: Chromium with Playwright's driver (this
process's children) against the light client (this process).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from classroom_load import parent_of, tree, usage  # noqa: E402
from draw_speed import SHAPES, draw  # noqa: E402
from light_drawing import canvas_state, decode_png  # noqa: E402
from light_load import own_cpu  # noqa: E402
from light_roles import DIGITS, clear, draw_and_read, new_canvas, open_tab  # noqa: E402
from serving import CHROMIUM, CHROMIUM_FLAGS, running_app  # noqa: E402
from st_client import LightSession  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402

from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint  # noqa: E402
from lenet.reading import classify  # noqa: E402

VALUES = "[...document.querySelectorAll('[data-testid=stMetricValue]')].map(e => e.innerText)"


def children_cpu() -> float:
    """CPU seconds of this process's descendants (Playwright's driver and Chromium)."""
    me = os.getpid()
    return sum(usage(pid)[1] for pid in tree(me)[1:] if parent_of(pid) == me)


def caught_png(frames: list[bytes]) -> np.ndarray | None:
    """The last drawing the browser sent, from its BackMsgs."""
    for frame in reversed(frames):
        msg = BackMsg()
        msg.ParseFromString(frame)
        for widget in msg.rerun_script.widget_states.widgets:
            if widget.WhichOneof("value") == "json_value" and '"drawing"' in widget.json_value:
                data = json.loads(widget.json_value)["drawing"].get("data")
                if data:
                    return decode_png(data)
    return None


def browser_side(url: str, repeats: int) -> tuple[list[dict], float]:
    """Chromium draws each digit: (reading, seconds, the PNG it sent) each; its CPU per s."""
    from playwright.sync_api import sync_playwright

    frames: list[bytes] = []
    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1200})
        page.on("websocket", lambda ws: ws.on("framesent", lambda f: frames.append(f)))
        page.goto(f"{url}/draw")
        page.locator("canvas.upper-canvas").first.wait_for(timeout=60_000)
        time.sleep(1)
        cpu0, wall0 = children_cpu(), time.monotonic()
        for digit in DIGITS * repeats:
            page.get_by_role("button", name="Clear").click()
            page.wait_for_function(f"() => {VALUES}.includes('–')", timeout=30_000)
            time.sleep(0.3)  # Clear remounts the canvas: let the new one settle
            surface = page.locator("canvas.upper-canvas").first
            draw(page, surface.bounding_box(), SHAPES[digit])
            lifted = time.monotonic()
            page.wait_for_function(
                f"() => {VALUES}.some(v => /^[0-9]/.test(v))", timeout=30_000, polling=10
            )
            seconds = time.monotonic() - lifted
            shown = [v for v in page.evaluate(VALUES) if v[:1].isdigit()][0]
            out.append({"digit": digit, "shown": shown, "s": seconds, "png": caught_png(frames)})
        per_s = (children_cpu() - cpu0) / (time.monotonic() - wall0)
        browser.close()
    return out, per_s


async def light_side(url: str, repeats: int) -> tuple[list[dict], float]:
    """The light client draws the same digits; its CPU per second."""
    session = LightSession(url, "draw")
    try:
        await open_tab(session)
        await new_canvas(session)
        cpu0, wall0, out = own_cpu(), time.monotonic(), []
        for digit in DIGITS * repeats:
            await clear(session)
            seconds, _, shown = await draw_and_read(session, digit, 0.3)
            png = decode_png(canvas_state(SHAPES[digit])["drawing"]["data"])
            out.append({"digit": digit, "shown": shown, "s": seconds, "png": png})
        per_s = (own_cpu() - cpu0) / (time.monotonic() - wall0)
        exceptions = session.exceptions
    finally:
        await session.close()
    if exceptions:
        raise RuntimeError(f"the page raised: {exceptions[0][:200]}")
    return out, per_s


def percent(shown: str) -> float | None:
    inside = shown.split("(", 1)[-1].split("%", 1)[0]
    return float(inside) if inside.replace(".", "").isdigit() else None


def probability_gap(model, a: np.ndarray | None, b: np.ndarray) -> float | None:
    """The largest difference of the shipped model's ten probabilities on the two PNGs."""
    if a is None:
        return None
    pa, pb = classify(model, a), classify(model, b)
    gaps = [abs(x - y) for x, y in zip(pa.probabilities, pb.probabilities, strict=True)]
    return float(f"{max(gaps):.2g}")


def soft_iou(a: np.ndarray | None, b: np.ndarray) -> float | None:
    if a is None:
        return None
    a, b = a[..., 3].astype(float), b[..., 3].astype(float)
    return round(float(np.minimum(a, b).sum() / np.maximum(a, b).sum()), 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as checkpoints,
        running_app({"LENET_CHECKPOINT_DIR": checkpoints}) as (url, _),
    ):
        browser, browser_cpu = browser_side(url, args.repeats)
        light, light_cpu = asyncio.run(light_side(url, args.repeats))
    model, _ = load_checkpoint(DEFAULT_CHECKPOINT)
    rows = []
    for b, li in zip(browser, light, strict=True):
        pb, pl = percent(b["shown"]), percent(li["shown"])
        rows.append(
            {
                "digit": b["digit"],
                "browser": b["shown"],
                "light": li["shown"],
                "same_digit": b["shown"][:1] == li["shown"][:1] == b["digit"],
                "percent_gap": None if pb is None or pl is None else round(abs(pb - pl), 1),
                "browser_s": round(b["s"], 3),
                "light_s": round(li["s"], 3),
                "png_soft_iou": soft_iou(b["png"], li["png"]),
                "probability_gap": probability_gap(model, b["png"], li["png"]),
            }
        )
        print(
            f"drew a {b['digit']}: browser {b['shown']!r} in {b['s']:.3f} s, light "
            f"{li['shown']!r} in {li['s']:.3f} s; PNGs: soft IoU {rows[-1]['png_soft_iou']}, "
            f"largest probability gap {rows[-1]['probability_gap']}"
        )
    summary = {
        "rows": rows,
        "all_same_digit": all(r["same_digit"] for r in rows),
        "max_percent_gap": max((r["percent_gap"] or 0) for r in rows),
        "max_probability_gap": max((r["probability_gap"] or 0) for r in rows),
        "browser_cpu_s_per_s": round(browser_cpu, 3),
        "light_cpu_s_per_s": round(light_cpu, 4),
    }
    print(
        f"same digit every time: {summary['all_same_digit']}; largest gap: "
        f"{summary['max_percent_gap']} in the %, {summary['max_probability_gap']} in a "
        f"probability; CPU per second of drawing: browser {browser_cpu:.3f} s, light client "
        f"{light_cpu:.4f} s"
    )
    if args.json:
        print(json.dumps(summary))
    return 0 if summary["all_same_digit"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
