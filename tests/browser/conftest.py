"""A real app in a real browser: `streamlit run` on a free port, driven by Debian's Chromium.

Outside CI, with no browser installed, these tests skip with the reason; under CI=true they must
run (.ci/run installs chromium).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from benchmarks.serving import CHROMIUM, CHROMIUM_FLAGS, running_app
from tests.paths import ARTIFACTS, ROOT  # ARTIFACTS: imported from here by the browser tests

SCREENSHOTS = ROOT / "docs" / "screenshots"


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed"
    return None


SERVER_PIDS: dict[str, int] = {}  # each test server's process, by its URL


@pytest.fixture(scope="session")
def app_url(tmp_path_factory) -> str:
    reason = _browser_missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run under CI: {reason}")
        pytest.skip(reason)
    checkpoints = str(tmp_path_factory.mktemp("checkpoints"))
    grace = {"LENET_RECONNECT_GRACE_S": "5"}  # a closed tab's run stops within the test
    one_run = {"LENET_MAX_JOBS": "1"}  # whatever the machine's cores: a second run queues
    with running_app({"LENET_CHECKPOINT_DIR": checkpoints, **grace, **one_run}) as (url, server):
        SERVER_PIDS[url] = server.pid
        yield url


@pytest.fixture(scope="session")
def browser(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    """A fresh tab (a new session); afterwards: no stException was shown, and a screenshot."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    tab = context.new_page()
    yield tab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    assert tab.locator(".stException").count() == 0, "the page showed a Python exception"
    context.close()


def save_screenshot(tab, name: str, height: int | None = None) -> None:
    """Keep a screenshot in tests/artifacts; with UPDATE_SCREENSHOTS=1 also for the README."""
    if height:
        tab.set_viewport_size({"width": 1440, "height": height})
        time.sleep(0.8)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(ARTIFACTS / f"{name}.png", SCREENSHOTS / f"{name}.png")
