"""The class's own handwriting in Chromium (issue 27): three students label a drawing each on
the Draw page; the Class page counts them, shows them, and measures a stored run on them in its
"Class digits" column; a run that also learns from them says how it reads the fifth it never
saw."""

from __future__ import annotations

import os
import re
import time

import pytest
from playwright.sync_api import expect

from lenet.data.class_set import held_out
from lenet.data.mnist import load_raw_folder, read_idx
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from lenet.store.runs import open_store
from tests.browser.conftest import save_screenshot
from tests.browser.test_e2e import draw_a_digit, prediction, wait_until
from tests.conftest import FIXTURE_DIR

pytestmark = pytest.mark.browser


def label_a_drawing(tab, url: str, shape: str) -> None:
    draw_a_digit(tab, url, shape)
    label = tab.get_by_role("combobox", name="This is a")
    label.click()
    label.fill(shape[0])
    label.press("Enter")
    time.sleep(0.8)  # the rerun that keeps the label
    tab.get_by_role("button", name="Add it").click()
    tab.get_by_text(f"Added your {shape[0]} to the class's digits").wait_for(timeout=30_000)
    wait_until(lambda: prediction(tab) == "–", timeout=30)  # the box cleared for the next one


def test_three_students_label_digits_and_the_class_page_measures_a_run_on_them(browser, app_url):
    store = open_store(os.environ["LENET_DATABASE_URL"])
    try:
        before = len(store.class_digits())
        run_id = store.create("Shipped demo", {"optimizer": "sgd", "lr": 0.1})
        result = {"test_accuracy": 0.9906, "seconds": 60.0, "steps": 3165, "message": None}
        from lenet.files.checkpoint import checkpoint_bytes

        weights = checkpoint_bytes(load_checkpoint(DEFAULT_CHECKPOINT)[0])
        store.finish(run_id, "done", [], result, checkpoint=weights)
    finally:
        store.close()
    students = [browser.new_context(viewport={"width": 1400, "height": 900}) for _ in range(3)]
    try:
        for context, shape in zip(students, ("1", "7", "0"), strict=True):
            label_a_drawing(context.new_page(), app_url, shape)
        teacher = students[0].new_page()
        teacher.goto(f"{app_url}/class")
        total = before + 3
        teacher.get_by_text(re.compile(rf"^{total} digits by \d+ students?")).wait_for(
            timeout=60_000
        )
        row = teacher.locator(".st-key-class_leaderboard tr", has_text=f"#{run_id}")
        cell = row.locator("td.c-digits")
        expect(cell).to_have_text(re.compile(r"^\d+\.\d%$"), timeout=30_000)  # measured
        store = open_store(os.environ["LENET_DATABASE_URL"])
        try:
            labels = store.digit_set().labels.tolist()[-3:]
        finally:
            store.close()
        assert labels == [1, 7, 0]  # each student's own word
        grid = teacher.locator('img[title^="a 7 by guest-"]')
        expect(grid.first).to_be_visible()
        assert teacher.locator(".stException").count() == 0
        teacher.get_by_text("The class's own digits", exact=True).scroll_into_view_if_needed()
        time.sleep(1.0)
        save_screenshot(teacher, "class-digits", height=1100)
    finally:
        for context in students:
            context.close()


def test_a_run_that_learns_the_class_digits_says_how_it_reads_those_it_never_saw(page, app_url):
    store = open_store(os.environ["LENET_DATABASE_URL"])
    try:
        digits = load_raw_folder(FIXTURE_DIR, val_size=1000).test_digits[:10]
        labels = read_idx(FIXTURE_DIR / "t10k-labels-idx1-ubyte.gz")[:10]
        for digit, label in zip(digits, labels.tolist(), strict=True):
            store.add_digit("Cleo", label, digit)
        ids = store.digit_set().ids
    finally:
        store.close()
    held = int(held_out(ids).sum())
    page.goto(f"{app_url}/?preset=quick")
    switch = page.get_by_text("Also learn from the class's digits")
    switch.wait_for(timeout=60_000)
    expect(page.get_by_text(f"{held} kept aside to test the run")).to_be_visible()
    switch.click()
    learns = page.get_by_text("Also learns from the class's digits.")
    learns.wait_for(timeout=30_000)
    page.get_by_role("link", name="Draw").click()  # a page without the toggle, and back
    page.get_by_text("Add your drawing to the class's digits").wait_for(timeout=60_000)
    page.get_by_role("link", name="Train").click()
    learns.wait_for(timeout=60_000)  # the setting outlived the page
    assert "class_digits=1" in page.url
    page.get_by_role("button", name="Start training").click()
    line = page.get_by_text(re.compile(r"^Learned from \d+ of the class's digits too"))
    line.wait_for(timeout=120_000)
    kept = rf"On the {held} class digits kept aside \(no run learns from them\) it reads \d+\.\d%"
    expect(line).to_contain_text(re.compile(kept))
    expect(line).to_contain_text("the app's ready-made model, trained on MNIST only, reads")
    line.scroll_into_view_if_needed()
    save_screenshot(page, "train-class-digits")
