"""Where the eye already is, at the three sizes every screen is judged at: a desktop (1400x900),
a projector (1280x720 at 150%: 853x480 CSS px) and a phone (390x844, touch).

After Start the live charts are on the screen; a conv2 map pressed in the whole network opens
large on the screen; Inspect's choices are never cut; axe-core finds no serious or critical WCAG
2.1 A/AA problem on any page; a test digit can be chosen by keyboard instead of drawn; and a
Start pressed the moment the page appears trains with the link's settings. The Class page's
table is checked at the three sizes in test_class_page.py. Screenshots go to tests/artifacts
(and, with UPDATE_SCREENSHOTS=1, to docs/screenshots for the README).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from benchmarks.draw_speed import SHAPES, draw
from tests.browser.conftest import ARTIFACTS, SCREENSHOTS
from tests.browser.test_inspect_class import SETTLED  # no script run, nothing stale

pytestmark = pytest.mark.browser

SIZES = {
    "desktop": {"viewport": {"width": 1400, "height": 900}},
    "projector": {"viewport": {"width": 853, "height": 480}, "device_scale_factor": 1.5},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    },
}
# what each size adds to a link: a teacher at a projector turns its view on
VIEW = {"desktop": "", "projector": "view=projector", "phone": ""}
# enough of an element on the screen to be seen: its top, and 200 px of it (or all of it)
ON_SCREEN = """(element) => {
    const box = element.getBoundingClientRect();
    return box.top >= 0 && box.top + Math.min(box.height, 200) <= window.innerHeight;
}"""
# a row of choices no wider than it shows, and no choice whose words are cut
NOT_CUT = """(row) => [row, ...row.querySelectorAll('button')]
    .filter((e) => e.scrollWidth > e.clientWidth + 1)
    .map((e) => e.innerText || e.className)"""


@pytest.fixture(params=list(SIZES))
def sized(request, browser):
    """(size name, a fresh tab of that size)."""
    context = browser.new_context(**SIZES[request.param])
    tab = context.new_page()
    yield request.param, tab
    assert tab.locator(".stException").count() == 0, "the page showed a Python exception"
    context.close()


def shot(tab, name: str) -> None:
    """A screenshot in tests/artifacts; with UPDATE_SCREENSHOTS=1 also for the README."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(ARTIFACTS / f"{name}.png", SCREENSHOTS / f"{name}.png")


def press(tab, size: str, locator) -> None:
    """A tap on a phone, a click elsewhere."""
    locator.tap() if size == "phone" else locator.click()


def wait_on_screen(locator, timeout: float = 15) -> None:
    deadline = time.time() + timeout
    while not locator.evaluate(ON_SCREEN):
        box = locator.bounding_box()
        assert time.time() < deadline, f"not on the screen: {box}"
        time.sleep(0.2)


def quiet(tab, still_s: float = 1.5) -> None:
    """Wait until no script run has started for `still_s`: a test digit's new canvas reports
    its background a moment after the page's run ends, and its rerun fades the fragment's
    parts (CI once found a caption at a third of its contrast, between the two runs)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        tab.wait_for_function(SETTLED, timeout=60_000)
        calm_until = time.monotonic() + still_s
        while time.monotonic() < calm_until and tab.evaluate(SETTLED):
            time.sleep(0.1)
        if time.monotonic() >= calm_until:
            return
    raise AssertionError("the page kept running script runs for 60 s")


def serious_problems(tab) -> list[tuple[str, str, list]]:
    """axe-core's serious and critical WCAG 2.1 A/AA findings on the page as it is."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    found = Axe().run(tab, options=options).response["violations"]
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def test_after_start_the_live_charts_are_on_the_screen(sized, app_url):
    size, tab = sized
    tab.goto(f"{app_url}/?preset=quick&epochs=2&{VIEW[size]}")
    start = tab.get_by_role("button", name="Start training")
    start.wait_for(timeout=60_000)
    press(tab, size, start)
    charts = tab.locator(".st-key-result_charts .js-plotly-plot").first
    charts.wait_for(timeout=120_000)  # after a run of another test, if one holds the slot
    wait_on_screen(charts)
    tab.get_by_text(re.compile(r"· step [\d,]+ of")).first.wait_for(timeout=60_000)
    shot(tab, f"train-running-{size}")
    result = tab.locator('[data-testid="stMetric"]', has_text="Test accuracy")
    result.wait_for(timeout=120_000)
    wait_on_screen(result)  # the run's result where the eye is when it ends
    time.sleep(1.0)
    assert serious_problems(tab) == []
    shot(tab, f"train-done-{size}")


def test_a_pressed_conv2_map_opens_large_on_the_screen(sized, app_url):
    size, tab = sized
    tab.goto(f"{app_url}/inspect?{VIEW[size]}")
    tab.get_by_text("What do you want to know?").wait_for(timeout=60_000)
    for row in tab.locator('[data-testid="stButtonGroup"]').all():
        assert row.evaluate(NOT_CUT) == [], size  # every question and part readable
    assert serious_problems(tab) == []
    shot(tab, f"inspect-{size}")
    pressed = tab.get_by_role("button", name=re.compile(r"^conv2 map 0: open it large"))
    pressed.scroll_into_view_if_needed()
    press(tab, size, pressed)  # one tap opens it: no tooltip first
    dialog = tab.get_by_role("dialog")
    large = dialog.locator(".js-plotly-plot").first
    large.wait_for(timeout=30_000)
    wait_on_screen(large)
    assert "conv2 map 0" in dialog.inner_text()
    shot(tab, f"inspect-map-{size}")
    tab.keyboard.press("Escape")
    dialog.wait_for(state="detached", timeout=10_000)


def test_draw_and_class_pass_axe_and_a_test_digit_is_chosen_by_keyboard(sized, app_url):
    size, tab = sized
    tab.goto(f"{app_url}/draw?{VIEW[size]}")
    surface = tab.locator("canvas.upper-canvas").first
    surface.wait_for(timeout=60_000)
    time.sleep(0.5)
    if size == "desktop":
        draw(tab, surface.bounding_box(), SHAPES["7"])
        # read ("Read by" is there before any drawing): on a busy machine the stroke's report
        # reached the server only with the keys below, in one rerun
        tab.get_by_text("Reading with these probes").first.wait_for(timeout=30_000)
    # the drawing's last script run has ended: on a busy machine a rerun arriving while the
    # keys are pressed redrew the box and the keys went nowhere
    tab.wait_for_function(SETTLED, timeout=60_000)
    # the keyboard alone: to the digit box, open it, pick 3
    chooser = tab.get_by_role("combobox", name="Or show it a test digit of")
    chooser.focus()
    tab.keyboard.press("Enter")
    tab.keyboard.type("3")
    tab.get_by_role("option", name="3", exact=True).wait_for(timeout=10_000)  # offered
    tab.keyboard.press("Enter")
    tab.get_by_text(re.compile(r"Reading: test image #\d+ \(a 3\)")).wait_for(timeout=30_000)
    quiet(tab)  # a run's stale parts are faded: low contrast
    assert serious_problems(tab) == []
    shot(tab, f"draw-{size}")
    tab.goto(f"{app_url}/class?{VIEW[size]}")
    tab.get_by_role("heading", name="Class", exact=True).wait_for(timeout=60_000)
    time.sleep(1.5)
    assert serious_problems(tab) == []


@pytest.fixture
def busy_core():
    """A process keeping one core busy, as a class's server is: the race below needs it."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    yield
    spinner.kill()
    spinner.wait()


def test_start_pressed_as_the_page_appears_trains_the_links_settings(app_url, browser, busy_core):
    """A script of ours mounted at the top of the page made the browser forget the sidebar's
    settings now and then: 3 runs in 15 started this way trained the Classic preset. Each run
    here must train the link's 2 epochs."""
    for wait in (0.0, 0.3, 0.6, 0.9, 1.2, 0.2, 0.5, 0.8):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        tab = context.new_page()
        tab.goto(f"{app_url}/?preset=quick&epochs=2")
        start = tab.get_by_role("button", name="Start training")
        start.wait_for(timeout=60_000)
        time.sleep(wait)
        start.click()
        progress = tab.get_by_text(re.compile(r"Epoch [\d.]+ of \d+")).first
        progress.wait_for(timeout=120_000)
        assert " of 2 " in progress.inner_text(), (wait, progress.inner_text())
        tab.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop").click()
        tab.get_by_text(re.compile(r"stopped|finished")).first.wait_for(timeout=30_000)
        context.close()


def test_on_a_phone_the_sidebar_folds_after_a_page_is_chosen(browser, app_url):
    context = browser.new_context(**SIZES["phone"])
    tab = context.new_page()
    try:
        tab.goto(f"{app_url}/?preset=quick")
        tab.get_by_role("button", name="Start training").wait_for(timeout=60_000)
        # the page's scripts mount last in its first run (demo.ui.screen.finish_page)
        tab.wait_for_function("() => window.__lenetFoldsSidebar === true", timeout=30_000)
        unfold = tab.get_by_test_id("stExpandSidebarButton")
        unfold.tap()
        link = tab.get_by_test_id("stSidebar").get_by_role("link", name="Draw")
        link.wait_for(timeout=10_000)
        assert not unfold.is_visible()  # the sidebar covers the page
        link.tap()
        tab.locator("canvas.upper-canvas").first.wait_for(timeout=60_000)
        unfold.wait_for(timeout=10_000)  # folded again: the page is the student's
        shot(tab, "draw-after-choosing-it-phone")
    finally:
        context.close()
