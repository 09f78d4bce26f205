"""The Train page's training timeline in headless Chromium: scrub it, play it (issue 13)."""

from __future__ import annotations

import re
import time

import pytest
from PIL import Image

from tests.browser.conftest import ARTIFACTS, save_screenshot

pytestmark = pytest.mark.browser

STEP_TEXT = re.compile(r"Step ([\d,]+) of ([\d,]+)")


def wait_until(predicate, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(0.1)


def timeline(tab):
    return tab.locator(".st-key-timeline")


def step_of(tab) -> tuple[int, int]:
    """(N, M) of the timeline's "Step N of M"."""
    text = timeline(tab).get_by_text(STEP_TEXT).first.inner_text()
    n, m = STEP_TEXT.search(text).groups()
    return int(n.replace(",", "")), int(m.replace(",", ""))


def filters_src(tab) -> str:
    """The src of the conv2 filters picture (the second image of the timeline)."""
    return timeline(tab).locator('[data-testid="stImage"] img').nth(1).get_attribute("src")


def probabilities(tab) -> str:
    """The sentence under the probability bars and the bars' own labels."""
    sentence = timeline(tab).get_by_text("the network reads").first.inner_text()
    bars = timeline(tab).locator("g.textpoint text").all_inner_texts()
    return sentence + " | " + " ".join(bars)


def scrub(tab, key: str, step: int) -> None:
    """Move the slider with the keyboard (Home: first snapshot, End: last) and wait for it."""
    timeline(tab).get_by_role("slider").press(key)
    wait_until(lambda: step_of(tab)[0] == step)
    # the sentence under the bars comes last: the pictures above it show that step too
    wait_until(lambda: f"After step {step:,} " in probabilities(tab))


def quick_demo_done(tab, app_url: str) -> None:
    tab.goto(f"{app_url}/?preset=quick")
    tab.get_by_role("button", name="Start training").click()
    tab.locator('[data-testid="stMetric"]', has_text="Test accuracy").wait_for(timeout=120_000)
    assert tab.get_by_text("Training time").count() == 1  # the tests' sign that a run ended
    timeline(tab).get_by_text(STEP_TEXT).first.wait_for(timeout=30_000)
    wait_until(lambda: step_of(tab)[0] == step_of(tab)[1])  # the last snapshot: the run's end


def test_the_timeline_scrubs_every_view_to_its_first_and_last_step(page, app_url):
    quick_demo_done(page, app_url)
    last, total = step_of(page)
    assert last == total == 157  # Quick demo: 157 steps, the last one kept
    scrub(page, "Home", 0)
    first_views = filters_src(page), probabilities(page)
    assert "step 0" in first_views[1]
    scrub(page, "End", total)
    wait_until(lambda: filters_src(page) != first_views[0])
    wait_until(lambda: probabilities(page) != first_views[1])
    assert f"step {total}" in probabilities(page)
    assert page.locator(".st-key-timeline [data-testid='stPlotlyChart']").count() >= 4
    scrub(page, "Home", 0)
    wait_until(lambda: filters_src(page) == first_views[0])  # the same step, the same picture
    save_screenshot(page, "train-timeline", height=2300)
    with page.expect_download(timeout=120_000) as download:
        timeline(page).get_by_role("button", name="Download the timeline as a GIF").click()
    picture = Image.open(download.value.path())
    assert picture.format == "GIF" and picture.n_frames == 40  # a frame per snapshot
    page.set_viewport_size({"width": 390, "height": 844})
    parts = {
        "controls": timeline(page).get_by_role("button", name="Play"),
        "filters": timeline(page).locator("img").first,
        "answer": timeline(page).get_by_text("the network reads"),
    }
    for name, part in parts.items():
        part.scroll_into_view_if_needed()
        time.sleep(0.8)
        page.screenshot(path=str(ARTIFACTS / f"train-timeline-phone-{name}.png"))


def test_play_advances_the_timeline_and_pause_keeps_its_place(page, app_url):
    quick_demo_done(page, app_url)
    scrub(page, "Home", 0)
    timeline(page).get_by_role("button", name="Play").click()
    wait_until(lambda: step_of(page)[0] > 0, timeout=10)
    moving = step_of(page)[0]
    wait_until(lambda: step_of(page)[0] > moving, timeout=10)  # on its own, again
    timeline(page).get_by_role("button", name="Pause").click()
    timeline(page).get_by_role("button", name="Play").wait_for()  # the pause reached the page
    # ticks already on their way may still land (on a busy machine the page showed a step
    # three ticks behind the server's when Pause was pressed): wait until it is still
    paused, still_since, deadline = step_of(page)[0], time.time(), time.time() + 30
    while time.time() - still_since < 1.5:
        assert time.time() < deadline, "the step never stood still after Pause"
        if (now := step_of(page)[0]) != paused:
            paused, still_since = now, time.time()
        time.sleep(0.1)
    time.sleep(2.0)
    assert step_of(page)[0] == paused
    assert 0 < paused < step_of(page)[1]
