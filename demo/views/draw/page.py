"""The Draw page: draw a digit (or take a test digit) and watch the network read it.

The drawing goes through `lenet.data.preprocess` exactly like MNIST's own digits were made (crop,
scale to 20 px, centre of mass), then through the optional robustness probes, then the model.
One input at a time: a test digit is shown in the drawing box itself (the strokes and the probes
are cleared), and a new stroke makes the drawing the input again. The page keeps the current
digit in session state for the Inspect page.

A stroke reruns one fragment (`reader`): the box, the prediction and what follows from them,
written into places (`Slots`) that the page keeps in its columns. The page's title, sidebar and
controls (the probes, the test digits, the pen) are drawn only when one of them changes: a
reading is fewer elements for the one server process that serves a class.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from demo.models import choices as models
from demo.models import familiar
from demo.training.state import mnist
from demo.ui import canvas
from demo.ui.screen import header, projector, scroll_into_view, scroll_now
from demo.ui.text import plain
from demo.views.draw.controls import (
    box_buttons,
    canvas_key,
    drawing_is_input,
    find_a_wrong_digit,
    test_digit_controls,
)
from demo.views.draw.label import keep_drawing, label_controls
from demo.views.draw.parts import (
    current_probe,
    prediction_panel,
    probe_controls,
    seen_panel,
    sweep_html,
)
from lenet.data.preprocess import digit_to_input, mnist_style
from lenet.explain.probes import apply_probes
from lenet.reading import probabilities

THRESHOLD_HELP = (
    "Below this top probability the answer is marked 'not sure'. The network always "
    "names some digit, even for a scribble; a low top probability means the drawing "
    "looked like several digits, or like none."
)


def drawing_input(stroke: int) -> canvas.Drawing:
    """The canvas, showing the test digit when that is the input."""
    background = None
    if st.session_state.get("draw_source") == "test":
        background = mnist().test_digits[st.session_state["test_index"]].tobytes()
    key = canvas_key()
    drawing = canvas.draw_canvas(
        stroke,
        key=key,
        background=canvas.background_png(background),
        initial=st.session_state.get("canvas_initial"),
        on_stroke=functools.partial(drawing_is_input, key),
        # emptied in the browser (Clear done there): the empty drawing is the input again
        on_empty=functools.partial(drawing_is_input, key),
    )
    st.session_state["canvas_strokes"] = drawing.strokes
    if drawing.strokes and st.session_state.get("draw_source") == "test":
        # a test digit remounts the canvas empty, so strokes on it are the student's: also when
        # the change callback did not get to run (a stroke during a rerun)
        drawing_is_input()
    return drawing


def base_digit(image: np.ndarray | None) -> tuple[np.ndarray | None, str]:
    """The 28x28 digit before any probe, and where it came from."""
    if st.session_state.get("draw_source") == "test":
        data = mnist()
        index = st.session_state["test_index"]
        label = int(data.test.labels[index])
        return data.test_digits[index] / np.float32(
            255
        ), f"test image #{index} ({'an' if label == 8 else 'a'} {label})"
    if image is None:
        return None, "your drawing"
    return mnist_style(image), "your drawing"


def reading_line(source: str) -> None:
    """Which one input the network is reading, above the box that shows it."""
    if st.session_state.get("draw_source") == "test":
        st.markdown(f"**Reading:** {source}, shown in the box. Draw to read your own instead.")
    else:
        st.markdown("**Reading:** your drawing.")


@dataclass(frozen=True)
class Slots:
    """Places the page keeps for the reading, outside the fragment that fills them (each an
    `st.empty()`: a rerun of the fragment replaces what it holds)."""

    chart: DeltaGenerator  # the probabilities (and on a projector the prediction)
    seen: DeltaGenerator  # what the network sees
    readout: DeltaGenerator  # the reading, beside the probe sliders
    sweep: DeltaGenerator  # the rotation sweep


def render() -> None:
    header(
        "Draw a digit",
        "Draw in the black box with a mouse or a finger. The network reads it after every "
        "stroke. Small or off-centre digits are fine: they are centred the way MNIST's were.",
    )
    if mnist() is None:
        return
    with st.sidebar:
        st.header("Model")
        picked = models.choose()
        threshold = st.slider(
            "'Not sure' below", 0.3, 0.95, 0.7, 0.05, key="threshold", help=THRESHOLD_HELP
        )
    if picked is None:
        return
    # before the box and the probes: it may put a test digit there, and reset the probes
    find_a_wrong_digit(picked.key, picked.model)
    # fixed widths that wrap: the box never scrolls sideways, and on a narrow screen the
    # probabilities move under it rather than squeezing it
    row = st.container(horizontal=True, gap="medium")
    left, middle, right = (row.container(width=w) for w in (290, 300, 260))
    if not projector():
        middle.subheader("Probabilities")
    right.subheader("What the network sees")
    chart, seen = middle.empty(), right.empty()
    with st.expander("Robustness probes: rotate, shift, scale, thicken, add noise", expanded=True):
        readout = st.empty()  # the reading, beside the sliders (on a phone it is far above)
        probe_controls()
    slots = Slots(chart, seen, readout, st.empty())
    with left:
        # the canvas's toolbar hidden, and Clear and Undo done in the browser: once for the page,
        # which keeps it while the fragment redraws the canvas on every stroke
        canvas.hide_toolbar()
        st.fragment(reader)(picked, threshold, slots)
        label_controls()
        test_digit_controls()


def reader(picked: models.Choice, threshold: float, slots: Slots) -> None:
    """The box and everything a stroke changes: a fragment, so that a stroke reruns it alone
    (not the page's title, sidebar, navigation and controls: a reading costs the server less).
    It fills the page's `slots`; the controls it reads from the session."""
    model_key, model = picked.key, picked.model
    box = st.container(key="draw_box")
    with box:
        reading = st.container()
        drawing = drawing_input(st.session_state.get("stroke", 20))
    # the prediction right under the box (a phone too); on a projector beside it, where the
    # screen's height allows it
    chart = slots.chart.container()
    reading_slot = chart if projector() else st.container()
    box_buttons(len(drawing.strokes))
    notes = st.container()  # warnings below the buttons: they never move under a pointer
    digit, source = base_digit(drawing.image)
    keep_drawing(digit, drawing.image, st.session_state.get("draw_source") != "test")
    with reading:
        reading_line(source)
    if shown_test := st.session_state.get("test_digits_shown"):  # the digit where one looks
        scroll_into_view("draw_box", shown_test)
    probe = current_probe()
    shown = apply_probes(digit, [probe])[0] if digit is not None else None
    model_input = digit_to_input(shown[None]) if shown is not None else None  # (1, 1, 32, 32)
    probs = probabilities(model, model_input)[0].tolist() if shown is not None else None
    st.session_state["current_digit"] = (shown, source) if shown is not None else None
    with reading_slot:
        prediction_panel(probs, threshold, chart, notes)
        st.caption(f"Read by {plain(models.reading_label(picked))}. Change it in the sidebar.")
    if shown is None:
        slots.readout.empty()
        slots.sweep.empty()
    else:
        with notes:  # is it a digit at all? (the network always names one)
            familiar.show_familiarity(model_key, model, model_input)
        top = int(np.argmax(probs))
        slots.readout.markdown(f"Reading with these probes: **{top}** ({probs[top]:.0%})")
        slots.sweep.html(sweep_html(model, digit))
    seen_panel(slots.seen, shown, model_input, probe.changes_digit)
    scroll_now()  # a fragment's run does not reach the page's end, which scrolls
