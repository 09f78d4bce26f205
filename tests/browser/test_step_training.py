"""Step-by-step training on the Train page in Chromium: Step, Step again, Reset; on a phone too."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS, save_screenshot
from tests.browser.test_e2e import wait_until

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
SECTION = "Step by step: train one batch at a time"


def open_section(tab, app_url: str) -> None:
    tab.goto(f"{app_url}/")
    tab.get_by_text(SECTION).first.wait_for(timeout=60_000)
    tab.get_by_text(SECTION).first.click()
    tab.get_by_role("button", name="Step", exact=True).wait_for()


def counter(tab) -> int:
    text = tab.get_by_text(re.compile(r"^Step [\d,]+ of [\d,]+$")).first.inner_text()
    return int(text.split()[1].replace(",", ""))


def loss(tab, label: str) -> float:
    metric = tab.locator('[data-testid="stMetric"]', has_text=label)
    return float(metric.locator('[data-testid="stMetricValue"]').inner_text())


def tiles(tab) -> list[tuple[str, str]]:
    """(image source, text) of each shown image of the minibatch, read in one go: read tile by
    tile, a rerun that replaced the tiles meanwhile left a locator waiting 30 s for one that had
    gone (seen once beside a busy process)."""
    found = tab.locator("[class*='st-key-step_changed_'], [class*='st-key-step_same_']")
    pairs = found.evaluate_all(
        "tiles => tiles.map(t => [t.querySelector('img')?.getAttribute('src'), t.innerText])"
    )
    return [(src, text) for src, text in pairs]


def check_frames_and_alts(tab) -> None:
    """The orange frames are on exactly the tiles the caption counts; every picture has an alt."""
    framed = tab.locator("[class*='st-key-step_changed_']")
    count = framed.count()
    caption = tab.get_by_text(re.compile(r"^Step \d+ trained on")).first.inner_text()
    if count == 0:
        assert "None of these predictions changed this step." in caption
        assert "orange" not in caption.lower()
    else:
        said = f"Orange frames mark the {count} " if count > 1 else "An orange frame marks the one "
        assert said in caption
        style = framed.first.evaluate(
            "t => [getComputedStyle(t).borderTopColor, getComputedStyle(t).borderTopWidth]"
        )
        assert style == ["rgb(242, 142, 43)", "3px"]  # CHANGED_CSS still reaches the tile
    for same in tab.locator("[class*='st-key-step_same_']").all()[:1]:
        assert same.evaluate("t => getComputedStyle(t).borderTopWidth") != "3px"
    alts = tab.locator("[class*='st-key-step_'] img").evaluate_all(
        "imgs => imgs.map(i => i.getAttribute('alt'))"
    )
    assert len(alts) == 16 and all(a and a.startswith("Handwritten digit, labelled ") for a in alts)
    try:  # axe-core's own rule, where its Python wrapper is installed (not a dev requirement)
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        return
    options = {"runOnly": {"type": "rule", "values": ["image-alt"]}}
    response = Axe().run(tab, context="[class*='st-key-step_tiles']", options=options).response
    assert not response["violations"], response["violations"]
    assert [len(rule["nodes"]) for rule in response["passes"]] == [16]  # the 16 pictures checked


def press(tab, name: str, steps: int) -> None:
    tab.get_by_role("button", name=name, exact=True).click()
    wait_until(lambda: counter(tab) == steps, timeout=30)
    wait_until(lambda: len(tiles(tab)) == (16 if steps else 0), timeout=30)


def test_step_twice_then_reset(page, app_url):
    open_section(page, app_url)
    assert counter(page) == 0 and not tiles(page)
    press(page, "Step", 1)
    first = tiles(page)
    assert all(re.search(r"label \d\s+[✓✗] \d → [✓✗] \d", text) for _, text in first)
    before, after = loss(page, "Loss before"), loss(page, "Loss after")
    assert 2.0 < before < 2.6 and after < before - 0.015  # ln 10 ≈ 2.3 at the seeded start
    assert page.get_by_text("the learning rate starts at 1 and falls to the 0.1 you chose").count()
    check_frames_and_alts(page)
    page.get_by_text("Loss before").first.scroll_into_view_if_needed()
    page.mouse.move(1400, 10)  # no tooltip over the picture
    save_screenshot(page, "train-step-by-step", height=1400)
    page.set_viewport_size({"width": 1440, "height": 1000})
    press(page, "Step", 2)
    second = tiles(page)
    assert [src for src, _ in second] != [src for src, _ in first]  # a new minibatch
    assert loss(page, "Loss before") != before
    check_frames_and_alts(page)
    press(page, "Reset", 0)
    assert not page.locator('[data-testid="stMetric"]', has_text="Loss before").count()


def test_step_by_step_on_a_phone(browser, app_url):
    context = browser.new_context(viewport=PHONE)
    tab = context.new_page()
    open_section(tab, app_url)
    press(tab, "Step", 1)
    assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    pictures = tab.locator("[class*='st-key-step_'] img")
    wait_until(lambda: pictures.count() == 16, timeout=30)  # a rerun may be redrawing them
    boxes = [t.bounding_box() for t in pictures.all()]
    assert len(boxes) == 16 and all(b["x"] + b["width"] <= PHONE["width"] for b in boxes)
    tops = sorted(b["y"] for b in boxes)
    rows = 1 + sum(lower - upper > 40 for upper, lower in zip(tops, tops[1:], strict=False))
    assert rows <= 6  # three (or more) pictures a row
    tab.get_by_role("button", name="Step", exact=True).scroll_into_view_if_needed()
    tab.mouse.move(380, 10)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "train-step-by-step-phone.png"))
    tab.set_viewport_size({**PHONE, "height": 2200})
    tab.screenshot(path=str(ARTIFACTS / "train-step-by-step-phone-tall.png"))
    assert tab.locator(".stException").count() == 0
    context.close()
