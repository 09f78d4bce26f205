"""The confusion matrix in Chromium: a click on a cell shows that cell's digits beside it."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import save_screenshot
from tests.browser.test_inspect_class import PHONE, open_part, settle

pytestmark = pytest.mark.browser

CELL_SHOWN = 12  # demo.views.inspect.mistakes.CELL_SHOWN
# the page position of a cell's centre and its count, from the drawn Plotly figure itself
CELL = """([t, p]) => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')]
    .find(g => (g.querySelector('.gtitle')?.textContent || '').startsWith('Confusion matrix'));
  const area = gd.querySelector('.nsewdrag').getBoundingClientRect();
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  return {x: area.left + xa.d2p(p), y: area.top + ya.d2p(t), count: gd.data[0].text[t][p]};
}"""
MATRIX = """() => [...document.querySelectorAll('.js-plotly-plot')]
  .find(g => (g.querySelector('.gtitle')?.textContent || '').startsWith('Confusion matrix'))
  ?.data?.[0]?.text"""


def gallery(tab) -> list[str]:
    """The labels ("true → predicted (sure)") of the digits shown in the gallery."""
    return tab.locator('[class*="st-key-mistake_"]').evaluate_all(
        """tiles => tiles.filter(t => !t.parentElement.closest('[class*="st-key-mistake_"]'))
          .map(t => t.querySelector('button').innerText.trim())"""
    )


def click_cell(tab, true: int, guess: int) -> int:
    """Click the matrix cell (true, guess) and wait for the page; its count."""
    tab.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    cell = tab.evaluate(CELL, [true, guess])
    tab.mouse.click(cell["x"], cell["y"])
    settle(tab)
    return int(cell["count"])


def open_matrix(tab, app_url) -> list[list[int]]:
    tab.goto(f"{app_url}/inspect")
    tab.get_by_text("Prediction").first.wait_for(timeout=60_000)
    open_part(tab, "Confusion matrix")
    tab.wait_for_function(MATRIX, timeout=60_000)
    settle(tab)
    return tab.evaluate(MATRIX)


def test_a_clicked_cell_shows_its_mistakes_or_the_digits_read_right(page, app_url):
    matrix = open_matrix(page, app_url)
    true, guess = max(
        ((t, p) for t in range(10) for p in range(10) if t != p), key=lambda c: matrix[c[0]][c[1]]
    )
    count = click_cell(page, true, guess)
    page.get_by_text(f"labelled {true} read as {guess}").first.wait_for(timeout=30_000)
    shown = gallery(page)
    assert len(shown) == min(count, CELL_SHOWN), shown
    assert all(re.fullmatch(rf"{true} → {guess} \(\d+%\)", label) for label in shown), shown
    save_screenshot(page, "inspect-confusion-mistakes")
    click_cell(page, 3, 3)  # the diagonal: 3s read right
    page.get_by_text("labelled 3 read right").first.wait_for(timeout=30_000)
    shown = gallery(page)
    assert len(shown) == CELL_SHOWN and all(label.startswith("3 → 3 ") for label in shown)
    save_screenshot(page, "inspect-confusion-read-right")


def test_a_clicked_cell_on_a_phone(page, app_url):
    page.set_viewport_size(PHONE)
    open_matrix(page, app_url)
    click_cell(page, 4, 9)
    page.get_by_text(re.compile(r"labelled 4 read (as 9|right)")).first.wait_for(timeout=30_000)
    assert all(label.startswith("4 → 9 ") for label in gallery(page))
    page.get_by_text("labelled 4 read as 9").first.scroll_into_view_if_needed()
    save_screenshot(page, "inspect-confusion-phone")
