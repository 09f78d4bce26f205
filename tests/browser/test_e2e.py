"""The app as a person uses it, with the mouse, in headless Chromium."""

from __future__ import annotations

import contextlib
import re
import time

import pytest
from playwright.sync_api import expect

from benchmarks.draw_speed import SHAPES, draw
from benchmarks.serving import show_part
from tests.browser.conftest import SERVER_PIDS, save_screenshot
from tests.browser.test_draw_class import clear

pytestmark = pytest.mark.browser


def status(tab) -> str:
    return tab.locator("p", has_text="Status:").first.inner_text()


def step(tab) -> int:
    text = tab.get_by_text(re.compile(r"· step [\d,]+ of")).first.inner_text()
    return int(re.search(r"step ([\d,]+) of", text).group(1).replace(",", ""))


def prediction(tab) -> str:
    metric = tab.locator('[data-testid="stMetric"]', has_text="Prediction")
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def wait_until(predicate, timeout: float = 60, seen=None) -> None:
    """Poll `predicate`; on timeout, say what `seen()` (a tab's status line, say) showed last."""
    deadline = time.time() + timeout
    while not predicate():
        if time.time() >= deadline:
            raise AssertionError(
                f"timed out after {timeout} s" + (f"; saw {seen()!r}" if seen else "")
            )
        time.sleep(0.2)


def test_training_runs_live_and_obeys_pause_resume_stop(page, app_url):
    page.goto(f"{app_url}/?preset=fast&epochs=3")
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("images a second").first.wait_for(timeout=60_000)
    first = step(page)
    wait_until(lambda: step(page) > first + 50)  # the charts and progress grow while it runs
    # the charts are redrawn on every poll (a new figure is a new Plotly element): not an
    # instant's count, but visible within the wait
    expect(page.get_by_text("Training loss").first).to_be_visible()
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
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop").click()
    wait_until(lambda: "stopped" in status(page))
    page.get_by_text("Test accuracy").first.wait_for()


def test_quick_demo_runs_to_the_end(page, app_url):
    page.goto(f"{app_url}/?preset=quick")
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Training time").wait_for(timeout=120_000)
    assert "finished" in status(page)
    accuracy = page.locator('[data-testid="stMetric"]', has_text="Test accuracy")
    assert float(accuracy.inner_text().split("\n")[-1].rstrip("%")) > 90
    # the list of runs comes after the result in the same script run: on a busy machine the
    # result is on the page before it (a run beside two busy processes checked in between)
    page.get_by_text("Your runs", exact=True).wait_for(timeout=30_000)
    assert page.get_by_text("Your runs", exact=True).count() == 1
    save_screenshot(page, "train-done", height=1500)


def test_digits_drawn_with_the_mouse_are_read_right(page, app_url):
    """Every shape in one tab, cleared between them (a page load costs the machine 3-4 core-s,
    issue 26): each must be read as its digit."""
    page.goto(f"{app_url}/draw")
    page.locator("canvas.upper-canvas").first.wait_for(timeout=60_000)
    time.sleep(0.5)
    read = {}
    for number, shape in enumerate(SHAPES):
        if number:
            clear(page)
        draw(page, page.locator("canvas.upper-canvas").first.bounding_box(), SHAPES[shape])
        wait_until(lambda: prediction(page)[:1].isdigit(), timeout=30)
        read[shape] = prediction(page)
        if shape.startswith("7, small"):
            page.get_by_text("Rotation sweep").wait_for()
            save_screenshot(page, "draw", height=1250)
            page.set_viewport_size({"width": 1440, "height": 1000})
    wrong = {shape: shown for shape, shown in read.items() if not shown.startswith(shape[0])}
    assert len(read) == len(SHAPES) and not wrong, wrong


def draw_a_digit(tab, url: str, shape: str, read: str | None = None) -> None:
    """Open the Draw page, draw `shape` (benchmarks.draw_speed.SHAPES) with the mouse and wait
    for the reading (one starting with `read`, when given)."""
    tab.goto(f"{url}/draw")
    surface = tab.locator("canvas.upper-canvas").first
    surface.wait_for(timeout=60_000)
    time.sleep(0.5)
    draw(tab, surface.bounding_box(), SHAPES[shape])
    wait_until(lambda: prediction(tab)[:1] == read if read else prediction(tab)[:1].isdigit(), 30)


def test_inspect_follows_the_drawing(page, app_url):
    draw_a_digit(page, app_url, "0", read="0")
    page.get_by_role("link", name="Inspect").click()
    page.get_by_role("radio", name="Your last drawing (Draw page)").wait_for(timeout=60_000)
    assert page.get_by_role("radio", name="Your last drawing (Draw page)").is_checked()
    wait_until(lambda: prediction(page).startswith("0"), timeout=30)
    show_part(page, "Feature maps")
    page.get_by_text("conv1 feature maps").first.wait_for(timeout=30_000)
    save_screenshot(page, "inspect", height=1000)
    show_part(page, "One number by hand")
    page.get_by_text("✔").first.wait_for()  # the hand-computed cell equals the map


def test_a_locked_link_fixes_the_settings(page, app_url):
    page.goto(f"{app_url}/?preset=quick&lr=0.02&lock=1")
    page.get_by_text("Your teacher fixed these settings").wait_for(timeout=60_000)
    epochs = page.get_by_role("spinbutton", name="Epochs")
    assert epochs.is_disabled()
    # enabled once the page has said which tab it is (a moment after it opens)
    expect(page.get_by_role("button", name="Start training")).to_be_enabled(timeout=10_000)
    assert "lr=0.02" in page.url and "lock=1" in page.url  # not the preset's 0.01


def test_a_bad_link_shows_a_notice(page, app_url):
    page.goto(f"{app_url}/?preset=fast&epochs=999")
    page.get_by_text("Ignored epochs=999 from the link").wait_for(timeout=60_000)


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


def test_a_model_with_its_timeline_uploads(page, app_url, tmp_path):
    """A downloaded model keeps its timeline (~10 MB for a Quick demo run): the upload takes it."""
    import numpy as np

    from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint, save_checkpoint
    from lenet.timeline.file import timeline_payload
    from lenet.timeline.snapshots import Snapshot, Timeline, flat_weights

    model, _ = load_checkpoint(DEFAULT_CHECKPOINT)
    final = flat_weights(model)
    snaps = tuple(Snapshot(k * 4, k / 40, final * np.float32(k / 39)) for k in range(40))
    path = save_checkpoint(
        tmp_path / "with_timeline.pt", model, {"timeline": timeline_payload(Timeline(snaps, 156))}
    )
    assert path.stat().st_size > 9_000_000
    page.goto(f"{app_url}/draw")
    page.locator("canvas.upper-canvas").first.wait_for(timeout=60_000)
    page.get_by_text("Use your own checkpoint").click()
    page.locator('input[type="file"]').set_input_files(str(path))
    chooser = page.get_by_test_id("stSidebar").get_by_role("combobox").first
    expect(chooser).to_have_value("Uploaded: with_timeline.pt", timeout=60_000)
    surface = page.locator("canvas.upper-canvas").first
    draw(page, surface.bounding_box(), SHAPES["1"])
    wait_until(lambda: prediction(page).startswith("1"), timeout=30)


def test_a_huge_upload_is_stopped_at_the_door(page, app_url, tmp_path):
    huge = tmp_path / "huge.pt"
    huge.write_bytes(b"\0" * (26 * 1024 * 1024))  # over the 24 MB limit in .streamlit/config.toml
    page.goto(f"{app_url}/draw")
    page.locator("canvas.upper-canvas").first.wait_for(timeout=60_000)
    page.get_by_text("Use your own checkpoint").click()
    page.locator('input[type="file"]').set_input_files(str(huge))
    page.get_by_text(re.compile(r"File must be 24(\.0)? ?MB or smaller")).wait_for(timeout=30_000)
    assert page.locator('[data-testid="stMetric"]', has_text="Prediction").count() == 1


def training_workers() -> set[int]:
    """Training processes: forked by the app's forkserver, so they share its command line."""
    from pathlib import Path

    parents = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if b"forkserver" not in (proc / "cmdline").read_bytes():
                continue
            parents[int(proc.name)] = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
    return {pid for pid, parent in parents.items() if parent in parents}


def ancestors(pid: int) -> list[int]:
    """The process's parent, grandparent, ... up to init."""
    from pathlib import Path

    found = []
    with contextlib.suppress(OSError, ValueError, IndexError):
        while pid > 1:
            stat = Path(f"/proc/{pid}/stat").read_text()
            pid = int(stat.rsplit(")", 1)[1].split()[1])
            found.append(pid)
    return found


def server_workers(url: str) -> set[int]:
    """The training processes of the server at `url` (other tests or servers on the machine
    may fork their own meanwhile)."""
    return {pid for pid in training_workers() if SERVER_PIDS[url] in ancestors(pid)}


def test_a_closed_tab_stops_its_run(browser, app_url):
    before = server_workers(app_url)
    context = browser.new_context()
    tab = context.new_page()
    tab.goto(f"{app_url}/?preset=classic")
    tab.get_by_role("button", name="Start training").click()
    tab.get_by_text("images a second").first.wait_for(timeout=60_000)
    assert len(server_workers(app_url) - before) == 1
    context.close()  # the student closes the tab mid-training
    wait_until(lambda: not (server_workers(app_url) - before), timeout=20)


def test_two_tabs_are_two_sessions_sharing_the_queue(browser, app_url):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    first, second = context.new_page(), context.new_page()
    try:
        first.goto(f"{app_url}/?preset=classic")
        first.get_by_role("button", name="Start training").click()
        first.get_by_text("images a second").first.wait_for(timeout=60_000)
        second.goto(f"{app_url}/?preset=quick")
        second.get_by_text("No run yet").wait_for(timeout=60_000)  # its own session
        second.get_by_role("button", name="Start training").click()
        wait_until(lambda: "queued (position 1)" in status(second), timeout=30)
        save_screenshot(second, "queued")
        first.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop").click()
        wait_until(lambda: "stopped" in status(first), timeout=30)
        second.get_by_text("Training time").wait_for(timeout=120_000)  # it began by itself
        assert "finished" in status(second) and "stopped" in status(first)
        assert second.locator(".stException").count() == 0
    finally:
        context.close()
