"""Runs that last, in Chromium: two students train, a third sees both on the Class page, the
server restarts (same port, same run store) and keeps them; the first student's tab gets her
run back after a reload (the tab kept her nickname), and so does another computer once she gives
her nickname."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from benchmarks.serving import free_port, start_app, wait_healthy
from tests.browser.conftest import save_screenshot
from tests.browser.test_e2e import status, wait_until

pytestmark = pytest.mark.browser

QUICK = "?preset=quick"


def give_nickname(tab, name: str) -> None:
    field = tab.get_by_role("textbox", name="Your nickname")
    field.fill(name)
    field.press("Enter")
    expect(field).to_have_value(name)
    time.sleep(0.5)  # the rerun that keeps it


def start_quick_run(tab, url: str, name: str) -> None:
    tab.goto(f"{url}/{QUICK}")
    tab.get_by_role("button", name="Start training").wait_for(timeout=60_000)
    give_nickname(tab, name)
    tab.get_by_role("button", name="Start training").click()


def cell(tab, text: str):
    """A nickname in the leaderboard that is exactly `text`."""
    names = tab.locator(".st-key-class_leaderboard .cb-who")
    return names.filter(has_text=re.compile(rf"^{re.escape(text)}$")).first


def run_number(tab) -> str:
    line = tab.get_by_text(re.compile(r"^Run #\d+ (finished|stopped) after")).first
    return re.search(r"#(\d+)", line.inner_text()).group(1)


@pytest.fixture
def server(tmp_path, browser):
    """A server of this test's own, restartable on the same port with the same run store."""
    port = free_port()
    env = {
        "LENET_DATABASE_URL": f"sqlite:///{tmp_path / 'class.db'}",
        "LENET_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
        "LENET_MAX_JOBS": "2",
    }
    state = {"process": None, "url": f"http://127.0.0.1:{port}"}

    def start() -> None:
        state["process"] = start_app(port, env)
        wait_healthy(state["url"])

    def stop() -> None:
        state["process"].terminate()
        state["process"].wait(10)

    start()
    yield state, start, stop
    stop()


def test_two_runs_reach_the_class_page_survive_a_restart_and_come_back(browser, server):
    (state, start, stop) = server
    url = state["url"]
    contexts = [browser.new_context(viewport={"width": 1440, "height": 1000}) for _ in range(3)]
    ada, alan, teacher = (c.new_page() for c in contexts)
    try:
        start_quick_run(ada, url, "Ada")
        start_quick_run(alan, url, "Alan")
        wait_until(lambda: "finished" in status(ada) and "finished" in status(alan), timeout=180)
        ada_run, alan_run = run_number(ada), run_number(alan)
        assert ada_run != alan_run
        teacher.goto(f"{url}/class")
        expect(cell(teacher, "Ada")).to_be_attached(timeout=30_000)
        expect(cell(teacher, "Alan")).to_be_attached()
        save_screenshot(teacher, "class-page")
        # Ada's tab leaves the page while the server restarts and opens it again after (as a
        # reload does); a page left open reconnects by itself, at a time Streamlit chooses
        ada.goto("about:blank")
        stop()
        start()  # a server restart: same port, same store, nothing in memory
        teacher.goto(f"{url}/class")
        expect(cell(teacher, "Ada")).to_be_attached(timeout=30_000)
        expect(cell(teacher, "Alan")).to_be_attached()
        ada.goto(f"{url}/{QUICK}")  # the tab kept its nickname: the restarted server takes it back
        expect(ada.get_by_text("Welcome back,")).to_be_visible(timeout=60_000)
        expect(ada.get_by_role("textbox", name="Your nickname")).to_have_value("Ada")
        expect(ada.get_by_role("heading", name="Your runs")).to_be_visible(timeout=15_000)
        expect(ada.get_by_text(re.compile(rf"^#{ada_run}$")).first).to_be_visible()
        expect(ada.get_by_text(f"#{alan_run}", exact=True)).to_have_count(0)
        laptop = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
        try:  # the same student on another computer: a guest until she gives her nickname
            laptop.goto(f"{url}/{QUICK}")
            laptop.get_by_role("button", name="Start training").wait_for(timeout=60_000)
            expect(laptop.get_by_role("heading", name="Your runs")).to_have_count(0)
            give_nickname(laptop, "ada")
            expect(laptop.get_by_text("already has 1 run on this server, shown in")).to_be_visible()
            expect(laptop.get_by_text(re.compile(rf"^#{ada_run}$")).first).to_be_visible()
            save_screenshot(laptop, "runs-come-back", height=1250)
            laptop.get_by_role("button", name="Save or download").first.click()
            download = laptop.get_by_role("button", name="Download the model (.pt)").first
            expect(download).to_be_visible()
        finally:
            laptop.context.close()
    finally:
        for context in contexts:
            context.close()
