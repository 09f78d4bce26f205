"""The app as a person uses it, with the mouse, in headless Chromium."""

from __future__ import annotations

import re
import time

import pytest

from benchmarks.draw_speed import SHAPES, draw
from tests.browser.conftest import save_screenshot

pytestmark = pytest.mark.browser


def status(tab) -> str:
    return tab.locator("p", has_text="Status:").first.inner_text()


def step(tab) -> int:
    text = tab.get_by_text(re.compile(r"· step [\d,]+ of")).first.inner_text()
    return int(re.search(r"step ([\d,]+) of", text).group(1).replace(",", ""))


def prediction(tab) -> str:
    metric = tab.locator('[data-testid="stMetric"]', has_text="Prediction")
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def wait_until(predicate, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(0.2)


def test_training_runs_live_and_obeys_pause_resume_stop(page, app_url):
    page.goto(f"{app_url}/?preset=fast&epochs=3")
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("images/s").first.wait_for(timeout=60_000)
    first = step(page)
    wait_until(lambda: step(page) > first + 50)  # the charts and progress grow while it runs
    assert page.get_by_text("Training loss").count() >= 1
    save_screenshot(page, "train-running")
    page.get_by_role("button", name="Pause").click()
    wait_until(lambda: "paused" in status(page))
    time.sleep(1.5)
    frozen = step(page)
    time.sleep(2.0)
    assert step(page) == frozen
    page.get_by_role("button", name="Resume").click()
    wait_until(lambda: "running" in status(page))
    wait_until(lambda: step(page) > frozen + 20)
    page.get_by_role("button", name="Stop").click()
    wait_until(lambda: "stopped" in status(page))
    page.get_by_text("Test accuracy").first.wait_for()


def test_quick_demo_runs_to_the_end(page, app_url):
    page.goto(f"{app_url}/?preset=quick")
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Training time").wait_for(timeout=120_000)
    assert "done" in status(page)
    accuracy = page.locator('[data-testid="stMetric"]', has_text="Test accuracy")
    assert float(accuracy.inner_text().split("\n")[-1].rstrip("%")) > 90
    assert page.get_by_text("Compare your runs").count() == 1
    save_screenshot(page, "train-done", height=1500)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_digits_drawn_with_the_mouse_are_read_right(page, app_url, shape):
    page.goto(f"{app_url}/draw")
    surface = page.locator("canvas.upper-canvas").first
    surface.wait_for(timeout=60_000)
    time.sleep(0.5)
    draw(page, surface.bounding_box(), SHAPES[shape])
    wait_until(lambda: prediction(page)[:1].isdigit(), timeout=30)
    assert prediction(page).startswith(shape[0]), (shape, prediction(page))
    if shape.startswith("7, small"):
        page.get_by_text("Rotation sweep").wait_for()
        save_screenshot(page, "draw", height=1250)


def test_inspect_follows_the_drawing(page, app_url):
    page.goto(f"{app_url}/draw")
    surface = page.locator("canvas.upper-canvas").first
    surface.wait_for(timeout=60_000)
    time.sleep(0.5)
    draw(page, surface.bounding_box(), SHAPES["0"])
    wait_until(lambda: prediction(page).startswith("0"), timeout=30)
    page.get_by_role("link", name="Inspect").click()
    page.get_by_text("Where the model goes wrong").wait_for(timeout=60_000)
    assert page.get_by_role("radio", name="Your last drawing (Draw page)").is_checked()
    wait_until(lambda: prediction(page).startswith("0"), timeout=30)
    assert page.get_by_text("conv1 feature maps").count() >= 1
    assert page.get_by_text("✔").count() >= 1  # the hand-computed cell equals the map
    save_screenshot(page, "inspect", height=1600)


def test_a_locked_link_fixes_the_settings(page, app_url):
    page.goto(f"{app_url}/?preset=quick&lr=0.01&lock=1")
    page.get_by_text("Your teacher fixed these settings").wait_for(timeout=60_000)
    epochs = page.get_by_role("spinbutton", name="Epochs")
    assert epochs.is_disabled()
    assert not page.get_by_role("button", name="Start training").is_disabled()
    assert "lr=0.01" in page.url and "lock=1" in page.url


def test_a_bad_link_shows_a_notice(page, app_url):
    page.goto(f"{app_url}/?preset=fast&epochs=999")
    page.get_by_text("Link: epochs=999 was ignored").wait_for(timeout=60_000)


def test_a_bad_checkpoint_upload_is_refused(page, app_url, tmp_path):
    bad = tmp_path / "homework.pt"
    bad.write_bytes(b"this is not a checkpoint")
    page.goto(f"{app_url}/draw")
    page.locator("canvas.upper-canvas").first.wait_for(timeout=60_000)
    page.get_by_text("Use your own checkpoint").click()
    page.locator('input[type="file"]').set_input_files(str(bad))
    page.get_by_text("homework.pt: not a readable PyTorch checkpoint").wait_for(timeout=30_000)
    surface = page.locator("canvas.upper-canvas").first
    draw(page, surface.bounding_box(), SHAPES["1"])  # the page still reads digits
    wait_until(lambda: prediction(page).startswith("1"), timeout=30)
