"""The Draw page: draw a digit (or take a test digit) and watch the network read it.

The drawing goes through `lenet.data.preprocess` exactly like MNIST's own digits were made (crop,
scale to 20 px, centre of mass), then through the optional robustness probes, then the model.
One input at a time: a test digit is shown in the drawing box itself (the strokes and the probes
are cleared), and a new stroke makes the drawing the input again. The page keeps the current
digit in session state for the Inspect page.
"""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st

from demo.models import choices as models
from demo.models import familiar
from demo.training.state import mnist
from demo.ui import canvas
from demo.ui.screen import header, projector, scroll_into_view, scroll_now
from demo.ui.text import plain
from demo.views.draw.parts import (
    prediction_panel,
    probe_controls,
    reset_probes,
    seen_panel,
    sweep_strip,
)
from lenet.data.preprocess import digit_to_input, mnist_style
from lenet.explain.probes import apply_probes
from lenet.reading import probabilities

FIND_WRONG = "draw_find_wrong"  # "One it gets wrong" was pressed: the page finds one
THRESHOLD_HELP = (
    "Below this top probability the answer is marked 'not sure'. The network always "
    "names some digit, even for a scribble; a low top probability means the drawing "
    "looked like several digits, or like none."
)


def canvas_key() -> str:
    """The current canvas's key: a new one (`new_canvas`) mounts an empty canvas."""
    return f"canvas_{st.session_state.get('canvas_round', 0)}"


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


def drawing_is_input(key: str | None = None) -> None:
    """A new stroke makes the drawing the input again; not one that the canvas `key` reports
    after it was replaced. On a busy machine a stroke's report can arrive with a later choice of a
    test digit, in one rerun: the choice, the later of the two, stays the input."""
    if key is None or key == canvas_key():
        st.session_state["draw_source"] = "canvas"


def pick_test_digit(wrong: bool) -> None:
    """A button's callback: a random test image, or (`wrong`) ask the page for one the model
    misreads: that needs the model's answers on 10,000 digits, worked out under a spinner."""
    data = mnist()
    if data is None:
        return
    if wrong:
        st.session_state[FIND_WRONG] = True
        return
    show_test_digit(int(np.random.default_rng().integers(len(data.test))))


def show_test_digit(index: int) -> None:
    """Make test image `index` the one input, probes reset (the box brought into view)."""
    new_canvas()
    reset_probes()
    st.session_state.update(draw_source="test", test_index=index)
    st.session_state["test_digits_shown"] = st.session_state.get("test_digits_shown", 0) + 1


def find_a_wrong_digit(model_key: str, model) -> None:
    """When asked: a test digit this model misreads becomes the input (a new model's answers
    take about half a second; the shipped model's are ready from the server's start)."""
    if not st.session_state.pop(FIND_WRONG, False):
        return
    with st.spinner("Finding a test digit this model gets wrong..."):
        data = mnist()
        predicted = models.test_probabilities(model_key, model, data).argmax(1)
        wrong_ones = (predicted != data.test.labels).nonzero().flatten().tolist()
    if not wrong_ones:
        st.session_state["draw_notice"] = "This model reads every test digit right."
        return
    show_test_digit(int(np.random.default_rng().choice(wrong_ones)))


def pick_labelled_digit() -> None:
    """A random test image of the label chosen in the box (a callback), probes reset."""
    label, data = st.session_state.get("draw_label"), mnist()
    if label is None or data is None:
        return
    matching = (data.test.labels == int(label)).nonzero().flatten().tolist()
    show_test_digit(int(np.random.default_rng().choice(matching)))
    st.session_state["draw_label"] = None  # ready for the next choice, even the same digit


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


def drawing_controls(model_key: str, model, strokes: int, notes):
    """Clear and Undo, a place for the reading's warnings (returned), the two test-digit
    buttons and the pen width."""
    a, b = st.columns(2)
    # keyed: in the browser the canvas does these two itself (demo/ui/canvas.py); the
    # callbacks serve a client without the page's script
    a.button(
        "Clear",
        key="draw_clear",
        on_click=clear_canvas,
        width="stretch",
        help="Wipe the box and start again.",
    )
    b.button(
        "Undo last stroke",
        key="draw_undo",
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
        args=(False,),
        width="stretch",
        help="Show the network a digit from MNIST's test set (clears the box and the probes).",
    )
    d.button(
        "One it gets wrong",
        on_click=pick_test_digit,
        args=(True,),
        width="stretch",
        help="A test digit that this model misreads (clears the box and the probes).",
    )
    st.selectbox(
        "Or show it a test digit of",
        range(10),
        index=None,
        key="draw_label",
        placeholder="choose a digit: 0 to 9",
        on_change=pick_labelled_digit,
        help="Without a mouse or a finger: the network reads a test digit you choose by its "
        "label. The keyboard works here.",
    )
    if notice := st.session_state.pop("draw_notice", None):
        st.info(notice)
    st.slider("Pen width", 5, 40, 20, key="stroke", help="Thickness of the pen on the 280x280 box.")
    return notes


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
    st.fragment(reader)(picked, threshold)


def reader(picked: models.Choice, threshold: float) -> None:
    """Everything a stroke, a button or a probe changes: a fragment, so that they rerun it alone
    (not the page's title, sidebar and navigation: a reading costs the server less)."""
    model_key, model = picked.key, picked.model
    find_a_wrong_digit(model_key, model)  # before the box: it may put a test digit there
    # fixed widths that wrap: the box never scrolls sideways, and on a narrow screen the
    # probabilities move under it rather than squeezing it
    row = st.container(horizontal=True, gap="medium")
    left, middle, right = (row.container(width=w) for w in (290, 300, 260))
    with left:
        box = st.container(key="draw_box")
        with box:
            reading = st.container()
            drawing = drawing_input(st.session_state.get("stroke", 20))
        # the prediction right under the box (a phone too); on a projector beside it, where
        # the screen's height allows it
        reading_slot = middle.container() if projector() else st.container()
        notes = drawing_controls(model_key, model, len(drawing.strokes), st)
    digit, source = base_digit(drawing.image)
    with reading:
        reading_line(source)
    if shown_test := st.session_state.get("test_digits_shown"):  # the digit where one looks
        scroll_into_view("draw_box", shown_test)
    with st.expander("Robustness probes: rotate, shift, scale, thicken, add noise", expanded=True):
        readout = st.empty()  # the reading, beside the sliders (on a phone it is far above)
        probe = probe_controls()
    shown = apply_probes(digit, [probe])[0] if digit is not None else None
    probs = (
        probabilities(model, digit_to_input(shown[None]))[0].tolist() if shown is not None else None
    )
    st.session_state["current_digit"] = (shown, source) if shown is not None else None
    if not projector():
        middle.subheader("Probabilities")
    with reading_slot:
        prediction_panel(probs, threshold, middle, notes)
        st.caption(f"Read by {plain(models.reading_label(picked))}. Change it in the sidebar.")
    if shown is not None:
        with notes:  # is it a digit at all? (the network always names one)
            familiar.show_familiarity(model_key, model, digit_to_input(shown[None]))
        top = int(np.argmax(probs))
        readout.markdown(f"Reading with these probes: **{top}** ({probs[top]:.0%})")
    with right:
        seen_panel(shown, probe.changes_digit)
    if shown is not None:
        sweep_strip(model, digit)
    scroll_now()  # a fragment's run does not reach the page's end, which scrolls
