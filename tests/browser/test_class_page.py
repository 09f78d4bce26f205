"""The Class page in Chromium, on a server of its own over a run store filled through RunStore:
the leaderboard best first, a run finishing while the page is open, names hidden with the
teacher key, and a phone-width page that does not scroll sideways."""

from __future__ import annotations

import time

import pytest

from benchmarks.class_speed import page_speed
from benchmarks.serving import running_app
from lenet.store import open_store
from tests.browser.conftest import ARTIFACTS, save_screenshot
from tests.test_class_page import KEY, add_run

DRAWN = page_speed.USEFUL["class"]  # the leaderboard's grid shows rows
ROWS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"] [role="row"]')]
    .slice(1).map(r => [...r.querySelectorAll('[role="gridcell"]')].map(c => c.innerText))"""


@pytest.fixture
def class_url(app_url, tmp_path):
    """A server of its own (so other tests' runs do not join the class), with the teacher key."""
    url = f"sqlite:///{tmp_path / 'class.db'}"
    store = open_store(url)
    add_run(store, "Ana", 0.975, optimizer="sgd", lr=0.05)
    add_run(store, "Ben", 0.991)
    add_run(store, "Cleo", 0.962, optimizer="adam", lr=1e-3)
    add_run(store, "Dev", None, status="diverged", optimizer="sgd", lr=2.0)
    with running_app({"LENET_DATABASE_URL": url, "LENET_TEACHER_KEY": KEY}) as (served, _):
        yield served, store
    store.close()


def nicknames(tab) -> list[str]:
    return [cells[1] for cells in tab.evaluate(ROWS) if len(cells) > 1]


def wait_for_names(tab, expected: list[str], timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while nicknames(tab) != expected:
        assert time.time() < deadline, f"leaderboard shows {nicknames(tab)}, not {expected}"
        time.sleep(0.2)


def test_the_class_page_follows_the_store(class_url, page):
    url, store = class_url
    page.goto(f"{url}/class")
    page.wait_for_function(DRAWN, timeout=60_000)
    wait_for_names(page, ["Ben", "Ana", "Cleo", "Dev"])
    assert page.get_by_text("What worked, as a class").count() == 1
    add_run(store, "Eli", 0.995)  # a run finishes while the page is open
    wait_for_names(page, ["Eli", "Ben", "Ana", "Cleo", "Dev"])
    save_screenshot(page, "class_page", height=2300)

    page.get_by_text("Teacher", exact=True).click()
    field = page.get_by_label("Teacher key", exact=True)
    field.fill(KEY)
    field.press("Enter")
    page.get_by_text("Hide names (for projection)").click()
    wait_for_names(page, ["Student 5", "Student 2", "Student 1", "Student 3", "Student 4"])
    assert page.get_by_text("best 99.50% by Student 5").count() == 1


def test_the_class_page_fits_a_phone(class_url, browser):
    url, _ = class_url
    context = browser.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    tab.goto(f"{url}/class")
    tab.wait_for_function(DRAWN, timeout=60_000)
    wait_for_names(tab, ["Ben", "Ana", "Cleo", "Dev"])
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    assert tab.locator(".stException").count() == 0
    tab.set_viewport_size({"width": 390, "height": 3000})
    time.sleep(1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "class_page_phone.png"))
    context.close()
