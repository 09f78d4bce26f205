"""A link is a stranger's text: nothing in it becomes a link, a picture or a request on the page.

The attacker's host is a local HTTP server started here that counts what it is asked for.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator

import pytest

from tests.browser.conftest import ARTIFACTS, save_screenshot

pytestmark = pytest.mark.browser

ALERTS = '[data-testid="stAlert"]'


class Handler(http.server.BaseHTTPRequestHandler):
    """Answers everything with 204 and counts it."""

    def do_GET(self) -> None:  # noqa: N802
        self.server.asked.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def attacker() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.asked = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def host_of(server) -> str:
    return f"127.0.0.1:{server.server_address[1]}"


def open_link(page, url: str, notices: int) -> str:
    """Open `url`, wait for its notices and a quiet second; the notices' text."""
    page.goto(url)
    page.locator(ALERTS).nth(notices - 1).wait_for(timeout=60_000)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    time.sleep(1.5)  # what the page would fetch, it fetches now
    return page.locator(ALERTS).all_inner_texts()


def assert_nothing_live(page, host: str) -> None:
    """No link, picture or frame on the page points at `host`."""
    live = page.locator(f'a[href*="{host}"], img[src*="{host}"], iframe[src*="{host}"]')
    assert live.count() == 0, live.evaluate_all("els => els.map(e => e.outerHTML)")


def test_markdown_in_a_link_is_shown_as_written(page, app_url, attacker):
    host = host_of(attacker)
    image, phish = (
        f"![p](http://{host}/pixel.png)",
        f"[Session expired: log in here](http://{host}/phish)",
    )
    texts = open_link(page, f"{app_url}/?epochs={image}&{phish}=1", notices=2)
    assert_nothing_live(page, host)
    assert page.locator(f"{ALERTS} a, {ALERTS} img").count() == 0
    assert any(image in text for text in texts), texts
    assert any(phish[:30] in text for text in texts), texts  # long text is cut short
    assert attacker.asked == []
    save_screenshot(page, "hostile_link_desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    time.sleep(1)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390  # wrapped, not wider
    page.screenshot(path=str(ARTIFACTS / "hostile_link_phone.png"))


def test_other_tricks_in_a_link_stay_text(page, app_url, attacker):
    host = host_of(attacker)
    tricks = [
        ("lr", f"<img src=http://{host}/x.png onerror=alert(1)>"),
        ("seed", f"www.{host}/" + "w" * 300),  # long, and no space to wrap at
        ("epochs", f"http://{host}/autolink"),
        ("optimizer", f"$x^2$ :smile: :red[boo] me@{host}"),
        ("device", "javascript:alert(1)"),
    ]
    query = "&".join(f"{k}={v}" for k, v in tricks)
    texts = open_link(page, f"{app_url}/?{query}", notices=len(tricks))
    assert_nothing_live(page, host)
    alerts = page.locator(ALERTS)
    assert alerts.locator("a, img, .katex, .stMarkdownColoredText").count() == 0
    assert not any("😄" in text for text in texts), texts
    assert any(":smile:" in text and "$x^2$" in text for text in texts), texts
    assert attacker.asked == []
    page.set_viewport_size({"width": 390, "height": 844})
    time.sleep(1)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "hostile_tricks_phone.png"), full_page=True)
