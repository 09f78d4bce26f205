"""The embedding tab in Chromium: the current digit is a star, a clicked point shows its digit."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import save_screenshot
from tests.browser.test_inspect_class import PHONE, open_part, settle

pytestmark = pytest.mark.browser

# the page position and test index of the point standing furthest from any other
LONELY = """() => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')]
    .find(g => (g.querySelector('.gtitle')?.textContent || '').startsWith('fc2 features'));
  if (!gd?._fullLayout?.xaxis) return null;
  const area = gd.querySelector('.nsewdrag').getBoundingClientRect();
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const points = gd.data.slice(0, 10).flatMap(t => t.x.map((x, i) =>
    ({x: area.left + xa.d2p(x), y: area.top + ya.d2p(t.y[i]), index: t.customdata[i][0]})));
  let best = null, room = -1;
  for (const p of points) {
    let near = Infinity;
    for (const q of points) if (q !== p) near = Math.min(near, Math.hypot(p.x - q.x, p.y - q.y));
    if (near > room) { room = near; best = p; }
  }
  return {...best, stars: gd.data.filter(t => t.marker?.symbol === 'star').length};
}"""


def open_embedding(tab, app_url) -> dict:
    tab.goto(f"{app_url}/inspect")
    tab.get_by_text("Prediction").first.wait_for(timeout=60_000)
    open_part(tab, "Digits that look alike")
    tab.wait_for_function(LONELY, timeout=120_000)  # t-SNE: once per model
    settle(tab)
    tab.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    return tab.evaluate(LONELY)


def test_the_digit_is_a_star_and_a_clicked_point_shows_its_digit(page, app_url):
    point = open_embedding(page, app_url)
    assert point["stars"] == 1
    assert page.get_by_text("★ is test digit #0").first.is_visible()
    page.mouse.click(point["x"], point["y"])
    settle(page)
    page.get_by_text(re.compile(rf"Test digit #{point['index']}, labelled \d")).wait_for()
    save_screenshot(page, "inspect-embedding")
    page.get_by_role("button", name="Inspect it", exact=True).click()
    settle(page)
    assert page.get_by_text(f"★ is test digit #{point['index']}").first.is_visible()


def test_the_embedding_on_a_phone(page, app_url):
    page.set_viewport_size(PHONE)
    point = open_embedding(page, app_url)
    page.mouse.click(point["x"], point["y"])
    settle(page)
    page.get_by_text(re.compile(rf"Test digit #{point['index']}, labelled \d")).wait_for()
    page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    save_screenshot(page, "inspect-embedding-phone")
