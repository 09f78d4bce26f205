"""The Whole network tab in Chromium: open a conv2 map, click a cell, play the sliding kernel."""

from __future__ import annotations

import time

import pytest

from benchmarks.cell_click_speed import PLOT, click_cell, open_network, settle
from tests.browser.conftest import save_screenshot

pytestmark = pytest.mark.browser

SLIDE = "Sliding the kernel"
KERNEL_AT = f"() => ({PLOT})('{SLIDE}').layout.shapes[0].path"
FIELD = f"() => ({PLOT})('What conv2 map 0').layout.shapes.map(s => [s.x0, s.y0, s.x1])"


def play_button(tab, label: str):
    plot = tab.locator(".js-plotly-plot", has=tab.locator(".gtitle", has_text=SLIDE)).first
    return plot.locator(".updatemenu-button", has_text=label).first


def test_a_conv2_map_opens_with_its_feeding_maps_and_a_clicked_cell_is_explained(page, app_url):
    open_network(page, app_url, "conv2")  # clicks the first conv2 map in the overview
    assert page.locator(".gtitle", has_text="fed by: the six pool1 maps").count() == 1
    feeding = page.locator(".js-plotly-plot", has=page.locator(".gtitle", has_text="fed by"))
    labels = feeding.locator(".annotation-text").all_text_contents()
    assert labels == [str(i) for i in range(6)]  # numbers: the title names the maps
    assert page.locator(".gtitle", has_text="its six 5x5 kernel slices").count() == 1
    click_cell(page, "conv2 map 0: click a cell", 3, 7)
    page.get_by_text("row 3, column 7 ✔").first.wait_for(timeout=30_000)
    settle(page)
    assert page.get_by_text("pool1 map 5: the 25 products").count() == 1
    # the 14x14 receptive field on the 32x32 input, from row 6, column 14
    assert page.evaluate(FIELD) == [[13.5, 5.5, 27.5]]
    save_screenshot(page, "inspect-network-cell")
    page.set_viewport_size({"width": 390, "height": 844})
    time.sleep(1.0)
    page.locator(".gtitle", has_text="What conv2 map 0").first.scroll_into_view_if_needed()
    time.sleep(0.5)
    save_screenshot(page, "inspect-network-phone")


def test_the_sliding_kernel_plays_and_pauses(page, app_url):
    open_network(page, app_url, "conv2")
    page.locator(".gtitle", has_text=SLIDE).first.scroll_into_view_if_needed()
    start = page.evaluate(KERNEL_AT)
    play_button(page, "Fast").click()
    time.sleep(1.0)
    moving = page.evaluate(KERNEL_AT)
    assert moving != start, "Play did not move the kernel"
    play_button(page, "Pause").click()
    time.sleep(0.3)
    held = page.evaluate(KERNEL_AT)
    time.sleep(1.0)
    assert page.evaluate(KERNEL_AT) == held, "Pause did not hold the kernel"
    save_screenshot(page, "inspect-network-slide")
