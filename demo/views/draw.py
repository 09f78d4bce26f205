"""The Draw page: draw a digit (or take a test digit) and watch the network read it.

The drawing goes through `lenet.preprocess` exactly like MNIST's own digits were made (crop,
scale to 20 px, centre of mass), then through the optional robustness probes, then the model.
One input at a time: a test digit is shown in the drawing box itself (the strokes and the probes
are cleared), and a new stroke makes the drawing the input again. The page keeps the current
digit in session state for the Inspect page.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from demo import canvas, familiar, models
from demo.state import mnist
from demo.views.draw_parts import (
    prediction_panel,
    probe_controls,
    reset_probes,
    seen_panel,
    sweep_strip,
)
from lenet.predict import probabilities
from lenet.preprocess import digit_to_input, mnist_style
from lenet.probes import apply_probes

THRESHOLD_HELP = (
    "Below this top probability the answer is marked 'not sure'. The network always "
    "names some digit, even for a scribble; a low top probability means the drawing "
    "looked like several digits, or like none."
)


def new_canvas() -> None:
    """Remount the canvas empty (a new key) and forget its strokes."""
    st.session_state["canvas_round"] = st.session_state.get("canvas_round", 0) + 1
    st.session_state.update(canvas_initial=None, canvas_strokes=[])


def clear_canvas() -> None:
    new_canvas()
    st.session_state["draw_source"] = "canvas"


def undo_stroke() -> None:
    """Load the canvas with all but its last stroke; it then sends the new picture back."""
    strokes = st.session_state.get("canvas_strokes", [])
    undos = st.session_state.get("canvas_undos", 0) + 1
    # the counter makes each undo a change the canvas sees, even to an identical drawing
    st.session_state.update(
        canvas_undos=undos, canvas_initial={"objects": strokes[:-1], "lenetUndo": undos}
    )


def drawing_is_input() -> None:
    """A new stroke makes the drawing the input again."""
    st.session_state["draw_source"] = "canvas"


def pick_test_digit(model_key: str, model, wrong: bool) -> None:
    """Make a test image the one input, probes reset: any, or one this model misreads."""
    data = mnist()
    if data is None:
        return
    rng = np.random.default_rng()
    if not wrong:
        index = int(rng.integers(len(data.test)))
    else:
        probs = models.test_probabilities(model_key, model, data)
        predicted = probs.argmax(1)
        wrong_ones = (predicted != data.test.labels).nonzero().flatten().tolist()
        if not wrong_ones:
            st.session_state["draw_notice"] = "This model reads every test digit right."
            return
        index = int(rng.choice(wrong_ones))
    new_canvas()
    reset_probes()
    st.session_state.update(draw_source="test", test_index=index)


def drawing_input(stroke: int) -> canvas.Drawing:
    """The canvas, showing the test digit when that is the input."""
    background = None
    if st.session_state.get("draw_source") == "test":
        background = mnist().test_digits[st.session_state["test_index"]].tobytes()
    drawing = canvas.draw_canvas(
        stroke,
        key=f"canvas_{st.session_state.get('canvas_round', 0)}",
        background=canvas.background_png(background),
        initial=st.session_state.get("canvas_initial"),
        on_stroke=drawing_is_input,
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


def drawing_controls(model_key: str, model, strokes: int, notes):
    """Clear and Undo, a place for the reading's warnings (returned), the two test-digit
    buttons and the pen width."""
    a, b = st.columns(2)
    a.button("Clear", on_click=clear_canvas, width="stretch", help="Wipe the box and start again.")
    b.button(
        "Undo last stroke",
        on_click=undo_stroke,
        width="stretch",
        disabled=strokes == 0 or st.session_state.get("draw_source") == "test",
        help="Take back the last stroke you drew.",
    )
    notes = notes.container()  # filled later in this run: warnings never move the buttons above
    c, d = st.columns(2)
    c.button(
        "Random test digit",
        on_click=pick_test_digit,
        args=(model_key, model, False),
        width="stretch",
        help="Show the network a digit from MNIST's test set (clears the box and the probes).",
    )
    d.button(
        "One it gets wrong",
        on_click=pick_test_digit,
        args=(model_key, model, True),
        width="stretch",
        help="A test digit that this model misreads (clears the box and the probes).",
    )
    if notice := st.session_state.pop("draw_notice", None):
        st.info(notice)
    st.slider("Pen width", 5, 40, 20, key="stroke", help="Thickness of the pen on the 280x280 box.")
    return notes


def render() -> None:
    st.title("Draw a digit")
    st.caption(
        "Draw with the mouse or a finger in the black box: the network reads it after every "
        "stroke. Small or off-centre digits are fine: they are centred the way MNIST's were."
    )
    if mnist() is None:
        return
    with st.sidebar:
        st.header("Model")
        chosen = models.choose_model()
        threshold = st.slider(
            "'Not sure' below", 0.3, 0.95, 0.7, 0.05, key="threshold", help=THRESHOLD_HELP
        )
    if chosen is None:
        return
    model_key, model = chosen
    left, middle, right = st.columns([1.3, 1, 1.1])
    with left:
        reading = st.container()
        drawing = drawing_input(st.session_state.get("stroke", 20))
        reading_slot = st.container()  # the prediction, right under the box (phones too)
        notes = drawing_controls(model_key, model, len(drawing.strokes), st)
    digit, source = base_digit(drawing.image)
    with reading:
        reading_line(source)
    with st.expander("Robustness probes: rotate, shift, scale, thicken, add noise", expanded=True):
        readout = st.empty()  # the reading, beside the sliders (on a phone it is far above)
        probe = probe_controls()
    shown = apply_probes(digit, [probe])[0] if digit is not None else None
    probs = (
        probabilities(model, digit_to_input(shown[None]))[0].tolist() if shown is not None else None
    )
    st.session_state["current_digit"] = (shown, source) if shown is not None else None
    middle.subheader("Probabilities")
    with reading_slot:
        prediction_panel(probs, threshold, middle, notes)
    if shown is not None:
        with notes:  # is it a digit at all? (the network always names one)
            familiar.show_familiarity(model_key, model, digit_to_input(shown[None]))
        top = int(np.argmax(probs))
        readout.markdown(f"Reading with these probes: **{top}** ({probs[top]:.0%})")
    with right:
        seen_panel(shown, probe.changes_digit)
    if shown is not None:
        sweep_strip(model, digit)
