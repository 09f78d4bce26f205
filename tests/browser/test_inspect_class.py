"""The Inspect page as a class meets it: a chosen mistake in view, charts and parts on a phone."""

from __future__ import annotations

import re
import time

import pytest

from benchmarks.serving import show_part
from tests.browser.conftest import save_screenshot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SETTLED = """() => !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-stale="true"]')"""
BOXES = """() => [...document.querySelectorAll('.js-plotly-plot')]
  .filter(p => p.checkVisibility())
  .map(p => {
    const box = e => {
      const b = e?.getBoundingClientRect();
      return b && [b.left, b.top, b.right, b.bottom];
    };
    return {title: p.querySelector('.gtitle')?.textContent || '',
            titleBox: box(p.querySelector('.gtitle')), modebar: box(p.querySelector('.modebar'))};
  })"""


def settle(tab) -> None:
    """Wait for the script run that the last action started to finish, and the charts to draw."""
    time.sleep(0.5)
    tab.wait_for_function(SETTLED, timeout=60_000)
    time.sleep(0.8)


def main_height(tab) -> int:
    return tab.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")


def in_viewport(locator, tab) -> bool:
    box = locator.bounding_box()
    height = tab.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def part_names(tab) -> list[str]:
    """The names of the Inspect page's parts, as it shows them."""
    from demo.views.inspect.page import PARTS

    return list(PARTS.values())


def open_part(tab, part: str) -> None:
    """Show one part of the Inspect page: its question, then the part."""
    show_part(tab, part)
    settle(tab)


def test_a_chosen_mistake_is_shown_where_the_user_is(page, app_url):
    page.goto(f"{app_url}/inspect")
    page.get_by_text("Prediction").first.wait_for(timeout=60_000)
    open_part(page, "Mistakes")
    mistakes = page.locator('[class*="st-key-mistake_"]')
    mistakes.first.wait_for(timeout=60_000)
    settle(page)
    last = mistakes.last  # the bottom of the gallery: the user has scrolled down to it
    index = int(re.search(r"st-key-mistake_(\d+)", last.get_attribute("class")).group(1))
    last.locator("button").first.click()
    shown = page.get_by_text(re.compile(rf"test digit #{index}\b", re.IGNORECASE))
    shown.first.wait_for(timeout=30_000)
    settle(page)
    visible = [shown.nth(i) for i in range(shown.count()) if shown.nth(i).is_visible()]
    assert any(in_viewport(item, page) for item in visible), "the chosen digit is out of view"
    save_screenshot(page, "inspect-chosen-mistake")
    page.get_by_role("button", name="Look inside it").click()
    settle(page)
    prediction = page.locator('[data-testid="stMetric"]', has_text="Prediction")
    assert in_viewport(prediction, page)
    assert page.get_by_text(re.compile(rf"test digit #{index}\b")).first.is_visible()
    assert page.get_by_text("conv1 feature maps").first.is_visible()


def test_every_part_is_near_the_top_at_phone_size(page, app_url):
    page.set_viewport_size(PHONE)
    page.goto(f"{app_url}/inspect")
    page.get_by_text("Prediction").first.wait_for(timeout=60_000)
    settle(page)
    parts = part_names(page)
    for part in parts:
        open_part(page, part)
        height = main_height(page)
        assert height <= 3 * PHONE["height"], (part, height)  # two scrolls at most
        bar = page.get_by_role("radio", name=part, exact=True)
        assert bar.bounding_box()["y"] < PHONE["height"]  # the parts are chosen on screen one
    save_screenshot(page, "inspect-phone")


def test_no_plotly_toolbar_covers_a_chart_title_at_phone_size(page, app_url):
    """No chart has Plotly's toolbar: on a phone it covered the titles (demo.ui.screen.chart)."""
    page.set_viewport_size(PHONE)
    page.goto(f"{app_url}/inspect")
    page.locator('[data-testid="stMetric"]', has_text="Prediction").wait_for(timeout=60_000)
    settle(page)
    checked = 0
    for part in part_names(page):
        open_part(page, part)
        charts = [c for c in page.evaluate(BOXES) if c["title"]]
        assert all(c["modebar"] is None for c in charts), part
        checked += len(charts)
    assert checked >= 10


def test_the_draw_pages_pictures_and_bars_fit_a_phone_whole(page, app_url):
    """The Draw page's reading is HTML, no Plotly (demo.figures.reading_html): at phone size
    each title is on the page's width and each picture shows whole."""
    page.set_viewport_size(PHONE)
    page.goto(f"{app_url}/draw")
    page.locator('[data-testid="stMetric"]', has_text="Prediction").wait_for(timeout=60_000)
    page.get_by_role("button", name="Random test digit").click()
    page.locator("figure img[alt^='28x28']").wait_for(timeout=60_000)
    settle(page)
    assert page.locator(".js-plotly-plot").count() == 0
    titles = page.locator(".lenet-title")
    assert titles.all_inner_texts() == [
        "Probability of each digit",
        "28x28, centred like MNIST",
        "32x32, as the network reads it",
    ]
    for box in [t.bounding_box() for t in titles.all()] + [
        img.bounding_box() for img in page.locator("figure img[alt$='white']").all()
    ]:
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    picture = page.locator("figure img[alt^='28x28']")  # a pixel's value under the finger
    picture.scroll_into_view_if_needed()
    lit = picture.locator("xpath=..").locator("i[title]").first.bounding_box()
    corner = picture.bounding_box()
    tips = page.evaluate(
        "points => points.map(([x, y]) => document.elementFromPoint(x, y).title)",
        [
            [lit["x"] + lit["width"] / 2, lit["y"] + lit["height"] / 2],
            [corner["x"] + 2, corner["y"] + 2],
        ],
    )
    assert re.fullmatch(r"row \d+, column \d+: (0\.\d\d|1\.00)", tips[0]), tips
    assert tips[1] == "0.00 (the background)", tips  # MNIST's corners are blank


def test_the_chosen_digit_and_part_survive_a_visit_to_another_page(page, app_url):
    page.goto(f"{app_url}/inspect")
    page.get_by_text("Prediction").first.wait_for(timeout=60_000)
    open_part(page, "Mistakes")
    page.get_by_role("button", name="→").first.wait_for(timeout=60_000)
    settle(page)
    first = page.locator('[class*="st-key-mistake_"]').first
    index = int(re.search(r"st-key-mistake_(\d+)", first.get_attribute("class")).group(1))
    first.locator("button").first.click()
    settle(page)
    page.keyboard.press("Escape")  # close the window over the page
    page.get_by_role("link", name="Train").click()
    page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
    page.get_by_role("link", name="Inspect").click()
    page.get_by_text("Prediction").first.wait_for(timeout=60_000)
    settle(page)
    assert page.get_by_text(re.compile(rf"test digit #{index}\b")).first.is_visible()
    assert (
        page.get_by_role("radio", name="Mistakes", exact=True).get_attribute("aria-checked")
        == "true"
    )


def test_fooling_the_network_turns_a_drawn_seven_into_an_eight(page, app_url):
    from tests.browser.test_e2e import draw_a_digit

    draw_a_digit(page, app_url, "7", read="7")
    page.get_by_role("link", name="Inspect").click()
    page.get_by_role("radio", name="Your last drawing (Draw page)").wait_for(timeout=60_000)
    open_part(page, "Fool the network")
    page.get_by_text("Before: reads 7").first.wait_for(timeout=30_000)
    page.get_by_role("combobox", name=re.compile("Fool it into reading")).click()
    page.get_by_role("option", name="8", exact=True).click()
    settle(page)
    page.get_by_role("slider", name=re.compile("Strength")).press("End")  # 50%: the most
    page.get_by_text("Fooled: it now reads 8").wait_for(timeout=30_000)
    settle(page)
    assert page.get_by_text("Before: reads 7").first.is_visible()
    assert page.get_by_text(re.compile(r"After: reads 8 \(\d+%\)")).first.is_visible()
    assert page.get_by_text(re.compile(r"Smallest strength that makes it read 8: \d+%")).count()
    assert page.locator(".stException").count() == 0
    save_screenshot(page, "fool-the-network", height=1300)
