"""An offline classroom: every page gets all it needs from the app's own server, and nothing the
browser asks that server for is missing."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest

from benchmarks.draw_speed import SHAPES, draw
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

# Opening a page's address directly, Streamlit's front end first looks for the server under that
# path (/draw/_stcore/health, /draw/_stcore/host-config), gets 404 and then uses /_stcore/...:
# its own base-path discovery (streamlit/streamlit#7074), not something the page needs.
BASE_PATH_PROBE = re.compile(r"^/[a-z]+/_stcore/(health|host-config)$")


class Traffic:
    """What the browser asked for outside the server, and what the server did not have."""

    def __init__(self, context, server: str) -> None:
        self.server = urlsplit(server).netloc
        self.outside: list[str] = []
        self.missing: list[str] = []
        self.last = time.time()
        context.on("request", self.on_request)
        context.on("response", self.on_response)

    def on_request(self, request) -> None:
        self.last = time.time()
        url = urlsplit(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.netloc != self.server:
            self.outside.append(request.url)

    def on_response(self, response) -> None:
        if response.status >= 400 and not BASE_PATH_PROBE.match(urlsplit(response.url).path):
            self.missing.append(f"{response.status} {response.url}")

    def settle(self, tab, quiet: float = 2.0, timeout: float = 60) -> None:
        """Wait until the script has finished and nothing was requested for `quiet` seconds."""
        deadline = time.time() + timeout
        idle = tab.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')
        while time.time() < deadline:
            if idle.count() == 1 and time.time() - self.last > quiet:
                return
            time.sleep(0.2)


def use_draw_page(tab, traffic: Traffic) -> None:
    """Draw, read, turn a probe, take a test digit: everything that brings pictures."""
    surface = tab.locator("canvas.upper-canvas").first
    surface.wait_for(timeout=60_000)
    time.sleep(0.5)
    draw(tab, surface.bounding_box(), SHAPES["7"])
    tab.get_by_text("Rotation sweep").wait_for(timeout=30_000)
    tab.get_by_role("slider", name="Rotate (°)").press("ArrowRight")
    traffic.settle(tab)
    tab.get_by_role("button", name="Random test digit").click()
    traffic.settle(tab)


def test_every_page_comes_whole_from_the_server(browser, app_url):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    traffic = Traffic(context, app_url)
    tab = context.new_page()
    try:
        for page in ("train", "draw", "inspect"):
            tab.goto(f"{app_url}/{page}")
            tab.locator("h1").first.wait_for(timeout=60_000)
            if page == "draw":
                use_draw_page(tab, traffic)
            traffic.settle(tab)
            icon = tab.locator("link[rel='shortcut icon']").get_attribute("href") or ""
            assert not re.match(r"https?://(?!127\.0\.0\.1)", icon), icon
        tab.get_by_role("link", name="Draw").click()  # and by the sidebar, without a reload
        use_draw_page(tab, traffic)
        assert traffic.outside == [], "the pages fetched from outside the server"
        assert traffic.missing == [], "the server answered with errors"
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / "offline.png"))
        context.close()
