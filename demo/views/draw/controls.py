"""The Draw page's controls and what they do: the box's Clear and Undo, the test digits (random,
one the model misreads, one of a chosen label) and the pen width.

Callbacks change the session (which canvas, which input); the page (demo/views/draw/page.py)
reads it. The box's own buttons are drawn with the box, in the page's fragment; the rest by the
page, as no stroke changes them.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from demo.models import choices as models
from demo.training.state import mnist
from demo.views.draw.parts import reset_probes

FIND_WRONG = "draw_find_wrong"  # "One it gets wrong" was pressed: the page finds one


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


def box_buttons(strokes: int) -> None:
    """Clear and Undo, under the box (with it in the fragment: Undo follows the strokes)."""
    pair = st.container(horizontal=True)  # one block: columns were three
    # keyed: in the browser the canvas does these two itself (demo/ui/canvas.py); the
    # callbacks serve a client without the page's script
    pair.button(
        "Clear",
        key="draw_clear",
        on_click=clear_canvas,
        width="stretch",
        help="Wipe the box and start again.",
    )
    pair.button(
        "Undo last stroke",
        key="draw_undo",
        on_click=undo_stroke,
        width="stretch",
        disabled=strokes == 0 or st.session_state.get("draw_source") == "test",
        help="Take back the last stroke you drew.",
    )


def test_digit_controls() -> None:
    """The two test-digit buttons, the choice of a test digit by its label and the pen width:
    drawn by the page, as no stroke changes them."""
    pair = st.container(horizontal=True)
    pair.button(
        "Random test digit",
        on_click=pick_test_digit,
        args=(False,),
        width="stretch",
        help="Show the network a digit from MNIST's test set (clears the box and the probes).",
    )
    pair.button(
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
