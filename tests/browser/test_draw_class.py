"""The Draw page as a class meets it: every pixel takes a stroke (mouse and finger), Undo,
probes that say what they do, one input at a time, and the reading in view on a phone."""

from __future__ import annotations

import base64
import io
import re
import time
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image

from benchmarks.draw_speed import SHAPES, draw
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 1000}
# a stroke along each edge, starting 5 px in from a corner of the 280x280 box
CORNER_STROKES = {
    "top-right": [(275, 5), (275, 150)],
    "top-left": [(5, 5), (5, 150)],
    "bottom-left": [(5, 275), (5, 130)],
    "bottom-right": [(275, 275), (275, 130)],
}
ONE = [(140, 40), (140, 240)]
TOP_BAR = [(60, 40), (140, 40)]  # with ONE it reads as a 7
CROSS = [(140, v) for v in range(30, 250, 8)] + [(v, 140) for v in range(30, 250, 8)]


@pytest.fixture
def open_tab(browser, request) -> Iterator:
    """open_tab(touch=False, viewport=DESKTOP): a fresh session; checked and kept afterwards."""
    contexts = []

    def open_(touch: bool = False, viewport: dict = DESKTOP):
        context = browser.new_context(viewport=viewport, has_touch=touch, is_mobile=touch)
        contexts.append(context)
        return context.new_page()

    yield open_
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for i, context in enumerate(contexts):
        tab = context.pages[0]
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{i}.png"))
        assert tab.locator(".stException").count() == 0, "the page showed a Python exception"
        context.close()


def wait_until(predicate, timeout: float = 30, what: str = "") -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, f"timed out waiting: {what}"
        time.sleep(0.2)


def prediction(tab) -> str:
    metric = tab.locator('[data-testid="stMetric"]', has_text="Prediction")
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def surface(tab):
    box = tab.locator("canvas.upper-canvas").first
    box.wait_for(timeout=60_000)
    return box


def open_draw(tab, app_url: str):
    tab.goto(f"{app_url}/draw")
    surface(tab)
    tab.get_by_text("Prediction").first.wait_for(timeout=60_000)
    time.sleep(0.5)


def touch(tab, box: dict, strokes: list) -> None:
    """Draw with a finger: touch events through the DevTools protocol, as a phone sends them."""
    cdp = tab.context.new_cdp_session(tab)
    for stroke in strokes:
        points = [(box["x"] + x, box["y"] + y) for x, y in stroke]
        send = lambda kind, at: cdp.send(  # noqa: E731
            "Input.dispatchTouchEvent",
            {"type": kind, "touchPoints": [{"x": at[0], "y": at[1]}] if at else []},
        )
        send("touchStart", points[0])
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            for t in np.linspace(0, 1, 8)[1:]:
                send("touchMove", (x0 + t * (x1 - x0), y0 + t * (y1 - y0)))
        send("touchEnd", None)
    cdp.detach()


def stroke(tab, strokes: list, finger: bool) -> None:
    box = surface(tab)
    box.evaluate("e => e.scrollIntoView({block: 'center'})")  # a student scrolls to the box
    time.sleep(0.2)
    (touch if finger else draw)(tab, box.bounding_box(), strokes)


def ink(tab, selector: str, points: list) -> list[int]:
    """Brightest colour channel (0-255) of the canvas `selector` at each (x, y)."""
    return tab.locator(selector).first.evaluate(
        "(c, pts) => pts.map(([x, y]) => Math.max(...c.getContext('2d')"
        ".getImageData(x, y, 1, 1).data.slice(0, 3)))",
        [[int(x), int(y)] for x, y in points],
    )


def clear(tab) -> None:
    tab.get_by_role("button", name="Clear").click()
    wait_until(lambda: prediction(tab) == "–")
    surface(tab)
    time.sleep(0.3)


def shows(tab, text: str) -> bool:
    """Whether the text is on the page (Plotly draws each title twice)."""
    return tab.get_by_text(text).count() > 0


def slider_value(tab, name: str) -> float:
    return float(tab.get_by_role("slider", name=name).input_value())


@pytest.mark.parametrize("finger", [False, True], ids=["mouse", "touch"])
def test_every_corner_of_the_box_takes_a_stroke_and_no_toolbar_gets_in_the_way(
    open_tab, app_url, finger
):
    tab = open_tab(touch=finger)
    open_draw(tab, app_url)
    for corner, line in CORNER_STROKES.items():
        assert prediction(tab) == "–"
        stroke(tab, [line], finger)
        wait_until(
            lambda: prediction(tab)[:1].isdigit(), 15, f"a reading after the {corner} stroke"
        )
        start = line[0]
        assert ink(tab, "canvas.dc-canvas", [start])[0] > 0, corner  # drawn from its start
        clear(tab)
    toolbars = tab.locator(".dc-toolbar")
    assert not any(toolbars.nth(i).is_visible() for i in range(toolbars.count()))
    assert tab.get_by_role("button", name="Edit").count() == 0  # no select mode to fall into


@pytest.mark.parametrize("finger", [False, True], ids=["mouse", "touch"])
def test_undo_takes_back_the_last_stroke(open_tab, app_url, finger):
    tab = open_tab(touch=finger)
    open_draw(tab, app_url)
    stroke(tab, [ONE], finger)
    wait_until(lambda: prediction(tab).startswith("1"))
    stroke(tab, [TOP_BAR], finger)
    wait_until(lambda: prediction(tab).startswith("7"))
    assert ink(tab, "canvas.dc-canvas", [(80, 40)])[0] > 0
    tab.get_by_role("button", name="Undo last stroke").click()
    wait_until(lambda: prediction(tab).startswith("1"))  # what the app reads went back too
    assert ink(tab, "canvas.dc-canvas", [(80, 40), (140, 140)]) == [0, 255]
    tab.get_by_role("button", name="Undo last stroke").click()
    wait_until(lambda: prediction(tab) == "–")
    assert tab.get_by_role("button", name="Undo last stroke").is_disabled()


def reruns_sent(tab) -> list:
    """The browser's rerun requests from now on (each frame it sends the server)."""
    sent: list = []
    tab.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    return sent


@pytest.mark.parametrize("button", ["Clear", "Undo last stroke"])
def test_clear_and_undo_are_done_by_the_canvas_in_the_browser(open_tab, app_url, button):
    """The box empties (or loses its stroke) in the browser, without a new canvas, and the server
    hears one rerun: the canvas's new drawing (a button click, then the canvas's answer, were
    two)."""
    sent = reruns_sent(tab := open_tab())
    open_draw(tab, app_url)
    stroke(tab, [ONE], False)
    wait_until(lambda: prediction(tab).startswith("1"))
    wait_until(lambda: idle(tab))
    tab.locator("canvas.upper-canvas").first.evaluate("c => { c.dataset.lenetMark = 'kept' }")
    time.sleep(1.0)
    before = len(sent)
    tab.get_by_role("button", name=button).click()
    wait_until(lambda: prediction(tab) == "–")
    wait_until(lambda: idle(tab))
    time.sleep(1.5)  # a second rerun, if one came, has been sent by now
    assert len(sent) - before == 1
    assert max(ink(tab, "canvas.dc-canvas", ONE)) == 0
    assert tab.locator("canvas.upper-canvas[data-lenet-mark=kept]").count() == 1


def test_undo_on_a_canvas_made_anew_is_the_pages_own(open_tab, app_url):
    """The projector switch draws the canvas anew, with no strokes to undo in the browser,
    while the page still reads them: Undo then goes to the page, which gives the canvas all
    but the last stroke (the browser's Undo did nothing there: a helper's review)."""
    tab = open_tab()
    open_draw(tab, app_url)
    stroke(tab, [ONE], False)
    wait_until(lambda: prediction(tab).startswith("1"))
    stroke(tab, [TOP_BAR], False)
    wait_until(lambda: prediction(tab).startswith("7"))
    tab.get_by_text("Projector view").click()
    wait_until(lambda: tab.locator(".st-key-projector_switch input:checked").count() == 1)
    wait_until(lambda: idle(tab))
    undo = tab.get_by_role("button", name="Undo last stroke")
    wait_until(lambda: undo.count() == 1, what=f"one Undo button, not {undo.count()}")
    surface(tab)
    undo.click()
    # (the projector's layout moves the reading: while a run draws it, the page may hold two)
    shown = tab.locator('[data-testid="stMetric"]', has_text="Prediction").locator(
        '[data-testid="stMetricValue"]'
    )
    wait_until(lambda: [v.strip()[:3] for v in shown.all_inner_texts()] == ["1 ("])
    wait_until(lambda: max(ink(tab, "canvas.dc-canvas", ONE)) > 0)


def test_clear_after_a_test_digit_makes_the_empty_box_the_input(open_tab, app_url):
    tab = open_tab()
    open_draw(tab, app_url)
    tab.get_by_role("button", name="Random test digit").click()
    wait_until(lambda: "test image" in reading(tab))
    wait_until(lambda: max(ink(tab, "canvas.dc-background-canvas", CROSS)) > 100)
    tab.get_by_role("button", name="Clear").click()
    wait_until(lambda: "your drawing" in reading(tab) and prediction(tab) == "–")
    wait_until(lambda: max(ink(tab, "canvas.dc-background-canvas", CROSS)) == 0)
    stroke(tab, [ONE], False)  # and the box takes strokes as before
    wait_until(lambda: prediction(tab).startswith("1"))


def sweep_image(tab, degrees: int) -> np.ndarray:
    src = tab.locator(f'img[alt="turned {degrees:+d} degrees"]').get_attribute("src")
    png = base64.b64decode(src.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"))


def test_probes_say_which_way_they_turn_and_move_and_reset(open_tab, app_url):
    tab = open_tab()
    open_draw(tab, app_url)
    stroke(tab, [ONE], False)
    wait_until(lambda: prediction(tab).startswith("1"))
    rotate = tab.locator('[data-testid="stSlider"]', has_text="Rotate (°)")
    rotate.locator('[data-testid="stTooltipHoverTarget"]').first.hover()
    tab.get_by_text("Plus turns it clockwise").wait_for(timeout=5_000)
    # and on screen +45° does lean the top of a 1 to the right: clockwise
    turned = sweep_image(tab, 45)
    rows, cols = np.nonzero(turned > 128)
    assert cols[rows == rows.min()].mean() > cols[rows == rows.max()].mean()
    # two one-thumb sliders, each with its own sign
    for name in ("Shift right/left (px)", "Shift down/up (px)"):
        assert tab.get_by_role("slider", name=name).count() == 1
    tab.get_by_role("slider", name="Rotate (°)").press("End")
    wait_until(lambda: slider_value(tab, "Rotate (°)") == 45)
    tab.get_by_role("slider", name="Shift right/left (px)").press("ArrowLeft")
    wait_until(lambda: shows(tab, "28x28 after your probes"))
    wait_until(lambda: not shows(tab, "28x28, centred like MNIST"))  # the old chart goes
    tab.get_by_role("button", name="Reset probes").click()
    wait_until(lambda: shows(tab, "28x28, centred like MNIST"))
    # the sliders follow in the same script run; a busy server may draw them a moment later
    wait_until(lambda: slider_value(tab, "Rotate (°)") == 0)
    wait_until(lambda: slider_value(tab, "Shift right/left (px)") == 0)
    wait_until(lambda: not shows(tab, "28x28 after your probes"))  # the old chart goes


def idle(tab) -> bool:
    """Whether the app's script has finished its run."""
    return tab.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').count() == 1


def reading(tab) -> str:
    return tab.locator("p", has_text="Reading:").first.inner_text()


def test_one_input_at_a_time(open_tab, app_url):
    tab = open_tab()
    open_draw(tab, app_url)
    seven = SHAPES["7"][0]
    stroke(tab, [seven], False)
    wait_until(lambda: prediction(tab).startswith("7"))
    tab.get_by_role("slider", name="Rotate (°)").press("End")
    wait_until(lambda: shows(tab, "28x28 after your probes"))
    for button in ("Random test digit", "One it gets wrong"):
        before = reading(tab)
        tab.get_by_role("button", name=button).click()
        wait_until(lambda old=before: reading(tab) != old and "test image" in reading(tab))
        wait_until(lambda: idle(tab))
        label = int(re.search(r"\(an? (\d)\)", reading(tab)).group(1))
        # the strokes are gone, the test digit fills the box, the probes are back to none
        assert max(ink(tab, "canvas.dc-canvas", seven)) == 0
        assert max(ink(tab, "canvas.dc-background-canvas", CROSS)) > 100
        assert slider_value(tab, "Rotate (°)") == 0
        wait_until(lambda: shows(tab, "28x28, centred like MNIST"))
        if button == "One it gets wrong":
            assert not prediction(tab).startswith(str(label))
    stroke(tab, [ONE], False)  # a new stroke: the drawing is the input again
    wait_until(lambda: "your drawing" in reading(tab))
    wait_until(lambda: prediction(tab).startswith("1"))
    wait_until(lambda: max(ink(tab, "canvas.dc-background-canvas", CROSS)) == 0)


def in_view(box: dict, viewport: dict) -> bool:
    return box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]


def test_on_a_phone_the_reading_is_in_view_with_the_box(open_tab, app_url):
    tab = open_tab(touch=True, viewport=PHONE)
    open_draw(tab, app_url)
    assert in_view(surface(tab).bounding_box(), PHONE)  # the box shows without scrolling
    stroke(tab, [ONE], True)
    wait_until(lambda: prediction(tab).startswith("1"))
    metric = tab.locator('[data-testid="stMetric"]', has_text="Prediction")
    assert in_view(metric.bounding_box(), PHONE), metric.bounding_box()
    assert in_view(surface(tab).bounding_box(), PHONE)
