"""Screenshots of the app for the README, taken in headless Chromium.

python scripts/screenshots.py        # writes docs/screenshots/*.png
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from app_speed import CHROMIUM_FLAGS, free_port, start_app  # noqa: E402
from draw_speed import SHAPES, draw  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def main() -> None:
    import urllib.request

    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = start_app(port)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/?preset=fast&epochs=3")
            page.get_by_role("button", name="Start training").click()
            page.get_by_text("Epoch 1.").first.wait_for(timeout=60_000)
            time.sleep(3)
            page.screenshot(path=str(OUT / "train-running.png"))
            page.get_by_text("Training time").wait_for(timeout=120_000)
            time.sleep(1)
            page.set_viewport_size({"width": 1440, "height": 1500})  # the page scrolls inside
            time.sleep(1)
            page.screenshot(path=str(OUT / "train-done.png"))
            page.set_viewport_size({"width": 1440, "height": 1250})
            page.goto(f"http://127.0.0.1:{port}/draw")
            surface = page.locator("canvas.upper-canvas").first
            surface.wait_for(timeout=60_000)
            time.sleep(1)
            draw(page, surface.bounding_box(), SHAPES["7, small, top-left corner"])
            page.get_by_text("Rotation sweep").wait_for(timeout=30_000)
            time.sleep(2)
            page.screenshot(path=str(OUT / "draw.png"))
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
