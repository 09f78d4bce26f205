"""Any snapshot as a model, in Chromium: after a Quick demo run, the Draw page reads the same
drawing with the run at its random start (step 0) and at its final step, and gives different
answers; Inspect's comparison mode puts the two side by side, on a projector and on a phone."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from benchmarks.draw_speed import SHAPES, draw
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_e2e import prediction, status, wait_until

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1400, "height": 1000}
RUN_CHOICE = re.compile(r"^Run (\d+) \((yours|this tab)\)")


def train_quick_demo(tab, app_url: str) -> None:
    tab.goto(f"{app_url}/?preset=quick")
    tab.get_by_role("button", name="Start training").click()
    tab.get_by_text("Status:").first.wait_for(timeout=60_000)
    wait_until(lambda: "finished" in status(tab), timeout=180)


def choose_the_run(tab) -> str:
    """Pick the finished run in the sidebar's model chooser; its number."""
    sidebar = tab.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").first.click()
    option = tab.get_by_role("option", name=RUN_CHOICE).first
    number = RUN_CHOICE.match(option.inner_text()).group(1)
    option.click()
    return number


def step_slider(tab):
    return tab.get_by_test_id("stSidebar").get_by_role("slider").first


def move_to(tab, key: str, label: str) -> None:
    """Press Home or End on the "At step" slider; wait for its label to say where it is."""
    step_slider(tab).focus()
    step_slider(tab).press(key)
    expect(tab.get_by_test_id("stSidebar").get_by_text(label)).to_be_visible(timeout=30_000)


def settled(tab) -> None:
    """Wait for the script run to end (Streamlit's running indicator gone)."""
    time.sleep(0.5)
    expect(tab.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=30_000)
    time.sleep(0.5)


def shoot(tab, name: str, size: dict, height: int | None = None) -> None:
    """The page at `size`, `height` px tall when given (Streamlit scrolls inside the page, so
    a full-page screenshot needs a tall window), into tests/artifacts."""
    tab.set_viewport_size({**size, "height": height or size["height"]})
    settled(tab)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    tab.set_viewport_size(size)


def metric_values(tab) -> list[str]:
    metrics = tab.locator('[data-testid="stMetric"]', has_text="Prediction")
    return [v.strip() for v in metrics.locator('[data-testid="stMetricValue"]').all_inner_texts()]


def test_a_run_at_step_0_reads_a_drawing_unlike_its_final_weights_and_inspect_compares_them(
    page, app_url
):
    page.set_viewport_size(PROJECTOR)
    train_quick_demo(page, app_url)
    page.get_by_role("link", name="Draw").click()
    surface = page.locator("canvas.upper-canvas").first
    surface.wait_for(timeout=60_000)
    run = choose_the_run(page)
    expect(page.get_by_text(f"Run {run} at step 157 of 157: its final weights")).to_be_visible(
        timeout=30_000
    )
    time.sleep(0.5)
    draw(page, page.locator("canvas.upper-canvas").first.bounding_box(), SHAPES["0"])
    wait_until(lambda: prediction(page).startswith("0"), timeout=30)
    final = prediction(page)
    move_to(page, "Home", f"Run {run} at step 0 of 157 (epoch 0.00)")
    wait_until(lambda: prediction(page) != final, timeout=30)
    at_start = prediction(page)
    assert "%" in at_start and at_start != final, (at_start, final)
    shoot(page, "draw-run-at-step-0", PROJECTOR)
    move_to(page, "End", f"Run {run} at step 157 of 157: its final weights")
    wait_until(lambda: prediction(page) == final, timeout=30)  # the same drawing, read again

    page.get_by_role("link", name="Inspect").click()
    page.get_by_text("Compare two models").click()
    expect(page.get_by_role("radio", name="This run's random start (step 0)")).to_be_checked()
    start, end = f"Run {run} at step 0", f"Run {run} at step 157"
    expect(page.get_by_role("heading", name=end, exact=True)).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name=start, exact=True)).to_be_visible()
    wait_until(lambda: len(metric_values(page)) == 2, timeout=30)
    trained, random_start = metric_values(page)
    assert trained == final and random_start != trained, (trained, random_start)
    images = page.get_by_test_id("stMain").get_by_test_id("stImage")
    expect(images).to_have_count(6, timeout=30_000)  # 2 x 3 grids...
    expect(page.get_by_role("img", name="The digit being read")).to_have_count(1)  # the digit
    shoot(page, "inspect-compare", PROJECTOR, 2300)
    shoot(page, "inspect-compare-phone", PHONE, 4200)
    page.get_by_test_id("stSidebarCollapsedControl").or_(
        page.get_by_test_id("stExpandSidebarButton")
    ).first.click()
    page.get_by_text("Another step of this run").click()  # its slider starts mid-run
    expect(page.get_by_role("heading", name=start, exact=True)).to_have_count(0, timeout=30_000)
    expect(page.get_by_role("heading", name=re.compile(rf"^Run {run} at step \d+$"))).to_have_count(
        2
    )
    shoot(page, "inspect-compare-another-step-phone", PHONE)
