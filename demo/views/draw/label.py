"""The Draw page's "This is a 3: add it to the class's digits": the class builds its own test set
from its own handwriting (lenet.store.digits), one labelled drawing at a time.

The student says which digit they meant; the network's reading never decides the label. The
digit is kept as MNIST holds one (the 28x28 the page made, before any probe), with the strokes
as drawn. A student sees and removes their own digits here; the teacher removes any on the Class
page.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from demo.session.nickname import nickname
from demo.session.store_state import run_store, store_problem
from demo.ui.text import plain
from demo.views.draw.controls import clear_canvas
from lenet.data.class_set import png_bytes
from lenet.store.runs import StoreError

DRAWN = "class_drawn"  # (the 28x28 digit before probes, the canvas's RGBA) of the drawing shown
NOTICE = "class_digit_notice"  # ("success" | "error", what the last addition or removal did)
MINE = "class_digits_mine"  # (nickname, the student's digits): read once, again after a change
LABEL_HELP = (
    "Which digit you meant to draw: your word, not the network's reading. The class's digits "
    "become a test set of your own handwriting, on which the Class page measures every model."
)


def keep_drawing(digit: np.ndarray | None, image: np.ndarray | None, is_drawing: bool) -> None:
    """Called by the page's reader: the drawing that "Add" would keep (none for a test digit)."""
    if is_drawing and digit is not None:
        st.session_state[DRAWN] = (digit, image)
    else:
        st.session_state.pop(DRAWN, None)


def strokes_png(image: np.ndarray | None) -> bytes | None:
    """The canvas as drawn, light ink on black, as a greyscale PNG (~5-20 kB)."""
    if image is None:
        return None
    return png_bytes((image[..., :3].mean(axis=2) * (image[..., 3] / 255.0)).astype(np.uint8))


def add_drawing() -> None:
    """The Add button's callback: keep the drawing with its label, then clear the box."""
    label, drawn = st.session_state.get("class_label"), st.session_state.get(DRAWN)
    if drawn is None:
        if st.session_state.get("draw_source") == "test":
            return say(
                "error", "Draw a digit in the box first: test digits are MNIST's, not the class's."
            )
        return say("error", "Draw a digit in the box first, then add it.")
    if label is None:
        return say(
            "error", "Choose which digit you meant first: the label is yours, not the network's."
        )
    if (store := run_store()) is None:
        return say("error", f"The class's digits cannot be kept now: {store_problem()}")
    name = nickname()
    try:
        digit_id = store.add_digit(name, int(label), drawn[0], strokes_png(drawn[1]))
    except StoreError as error:
        say("error", str(error))
        return
    say(
        "success",
        f"Added your {label} to the class's digits under {name} (#{digit_id}). Draw the next one.",
    )
    st.session_state["class_label"] = None
    st.session_state.pop(DRAWN, None)
    st.session_state.pop(MINE, None)
    clear_canvas()


def remove_chosen() -> None:
    chosen, store = st.session_state.get("class_remove") or [], run_store()
    if not chosen or store is None:
        return
    try:
        removed = store.remove_digits(list(chosen), name=nickname())
    except StoreError as error:
        say("error", str(error))
        return
    say("success", f"Removed {removed} of your digits from the class's set.")
    st.session_state["class_remove"] = []
    st.session_state.pop(MINE, None)


def say(kind: str, text: str) -> None:
    st.session_state[NOTICE] = (kind, text)


def label_controls() -> None:
    """The label, the Add button, what the last one did, and the student's own digits."""
    st.markdown("**Add your drawing to the class's digits**")
    with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
        st.selectbox(
            "This is a",
            range(10),
            index=None,
            key="class_label",
            placeholder="the digit you meant",
            help=LABEL_HELP,
            width=190,
        )
        st.button(
            "Add it",
            on_click=add_drawing,
            key="class_add",
            help="Keep this drawing, with your label and nickname, in the class's own set of "
            "digits. The box then clears for the next one.",
        )
    if notice := st.session_state.pop(NOTICE, None):
        kind, text = notice
        (st.success if kind == "success" else st.error)(plain(text))
    own_digits()


def own_digits() -> None:
    """The student's own digits, to remove: read from the store once for the session and
    nickname, and again after an addition or removal (not on every page run: students
    arriving are most of the Draw page's full runs)."""
    store, name = run_store(), nickname()
    if store is None:
        return
    kept = st.session_state.get(MINE)
    if kept is None or kept[0] != name:
        try:
            kept = (name, store.class_digits(name))
        except StoreError as error:
            st.caption(plain(f"The class's digits cannot be read now: {error}"))
            return
        st.session_state[MINE] = kept
    mine = kept[1]
    if not mine:
        return
    with st.expander(f"Your digits in the class's set ({len(mine)})"):
        st.multiselect(
            "Remove these",
            [row.id for row in mine],
            key="class_remove",
            format_func=lambda i: next(f"#{r.id}: a {r.label}" for r in mine if r.id == i),
            placeholder="choose your digits to remove",
            help="Only your own digits are listed; the teacher can remove any.",
        )
        st.button("Remove the chosen", on_click=remove_chosen, key="class_remove_button")
