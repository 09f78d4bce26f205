"""The Inspect page: what each layer of the network does with one digit, and where it fails.

The input and the model's answer come first and at once; below them four questions a student
asks, each with its parts: follow your digit (the whole network at a glance, feature maps, the
numbers of the fully connected layers, one number by hand), the filters (learned, what each
looks for, editing one), why this answer (the pixels that mattered, digits that look alike) and
all the test digits (the model's mistakes, the confusion matrix). Only the part shown is computed
and drawn; the link names it (`part=embedding`). With "Compare two models" on, two models read the
digit side by side instead (`inspect_compare`).
"""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from demo.models import choices as models
from demo.training.state import mnist
from demo.ui.screen import header, scroll_into_view
from demo.views.draw.parts import png_data_url
from demo.views.inspect.attributions import attributions_section
from demo.views.inspect.cell import cell_section
from demo.views.inspect.compare import choose_second, compare_toggle, side_by_side
from demo.views.inspect.dreams import dreams_section
from demo.views.inspect.edit import edit_section
from demo.views.inspect.embedding import embedding_section
from demo.views.inspect.fool import fool_section
from demo.views.inspect.mistakes import confusion_section, mistakes_section
from demo.views.inspect.network import network_section
from demo.views.inspect.parts import PART, feature_map_section, filter_section, path_section
from demo.views.train.settings import page_link
from lenet.data.preprocess import digit_to_input
from lenet.explain.features import feature_maps

PARTS = {  # the link's name -> the name shown
    "network": "Whole network",
    "maps": "Feature maps",
    "numbers": "Numbers to answer",
    "cell": "One number by hand",
    "filters": "Learned filters",
    "wants": "What filters look for",
    "edit": "Edit a filter",
    "pixels": "Pixels that mattered",
    "embedding": "Digits that look alike",
    "fool": "Fool the network",
    "mistakes": "Mistakes",
    "confusion": "Confusion matrix",
}
QUESTIONS = {
    "Follow your digit": ("network", "maps", "numbers", "cell"),
    "The filters": ("filters", "wants", "edit"),
    "Why this answer?": ("pixels", "embedding", "fool"),
    "All the test digits": ("mistakes", "confusion"),
}
CHOSEN = "inspect_parts_chosen"  # how many times a student chose a part (a scroll each)


def choose_input(data) -> tuple[np.ndarray, str]:
    """The digit to inspect: the last drawing from the Draw page, or a test digit."""
    drawn = st.session_state.get("current_digit")
    if drawn is None:  # nothing to choose between: a test digit, and where a drawing comes from
        source = "test"
        st.caption("Draw a digit on the **Draw** page to follow your own here.")
    else:
        if st.session_state.get("inspect_source") not in ("drawing", "test"):
            st.session_state["inspect_source"] = "drawing"
        labels = {"drawing": "Your last drawing (Draw page)", "test": "A test digit"}
        source = st.radio(
            "Input",
            ["drawing", "test"],
            format_func=labels.get,
            key="inspect_source",
            horizontal=True,
            help="Follow what you drew on the Draw page (with its probes), or any of MNIST's "
            "10,000 test digits.",
        )
    if source == "drawing":
        detail = "" if drawn[1] == "your drawing" else f" ({drawn[1]})"  # e.g. a test image
        return drawn[0], f"your last drawing{detail}"
    # the number box's own state is dropped while another page is shown: keep a copy
    st.session_state.setdefault("inspect_index", st.session_state.get("inspect_index_kept", 0))
    with st.container(horizontal=True, vertical_alignment="bottom"):  # side by side on a phone too
        index = st.number_input(
            "Test digit number",
            0,
            len(data.test) - 1,
            key="inspect_index",
            help="Which of the 10,000 MNIST test images (0-9999).",
        )
        st.button(
            "Random",
            on_click=_random_index,
            args=(len(data.test),),
            help="A random test digit.",
        )
    st.session_state["inspect_index_kept"] = index
    label = int(data.test.labels[index])
    return data.test_digits[index] / np.float32(255), f"test digit #{index} (labelled {label})"


def _random_index(count: int) -> None:
    st.session_state["inspect_index"] = int(np.random.default_rng().integers(count))


def digit_picture(digit: np.ndarray, source: str) -> None:
    """The 28x28 input, 4x larger, with a text alternative."""
    url = png_data_url(np.clip(digit, 0, 1), scale=4)
    alt = html.escape(f"The digit being read: {source}", quote=True)
    st.html(f'<img src="{url}" width="112" height="112" alt="{alt}" style="display:block">')


def input_summary(digit: np.ndarray, source: str, maps: dict) -> None:
    """The input as a picture beside the model's answer."""
    predicted = int(maps["probabilities"][0].argmax())
    confidence = float(maps["probabilities"][0, predicted])
    with st.container(horizontal=True, gap="medium", vertical_alignment="center"):
        digit_picture(digit, source)
        with st.container(gap="small"):
            st.metric("Prediction", f"{predicted} ({confidence:.0%})", help=f"Input: {source}.")
            st.caption(f"Input: {source}. Each part below follows it through the network.")


def question_of(part: str) -> str:
    return next(q for q, parts in QUESTIONS.items() if part in parts)


def _pick_question() -> None:
    asked = st.session_state.get("inspect_question")
    if asked in QUESTIONS and asked != question_of(st.session_state[PART]):
        st.session_state[PART] = st.session_state.get(f"inspect_last_{asked}", QUESTIONS[asked][0])
        _chosen()


def _pick_part(question: str) -> None:
    part = st.session_state.get(f"inspect_part_{question}")
    if part in QUESTIONS[question]:
        st.session_state[PART] = st.session_state[f"inspect_last_{question}"] = part
        _chosen()


def _chosen() -> None:
    """A part was chosen: the page brings it into view (it can start below a projector's
    screen, under the input and the answer)."""
    st.session_state[CHOSEN] = st.session_state.get(CHOSEN, 0) + 1


def choose_part() -> str:
    """The question and its part, as two rows of buttons that wrap on a phone (tabs were cut
    there and on a projector); the part shown, by its link name."""
    state = st.session_state
    if state.get(PART) not in PARTS:
        asked = st.query_params.get("part", "")
        state[PART] = asked if asked in PARTS else "network"
    question = question_of(state[PART])
    state.setdefault(f"inspect_last_{question}", state[PART])  # a part from the link, kept
    state["inspect_question"] = question
    with st.container(key="inspect_questions"):
        choices(question)
    if chosen := state.get(CHOSEN):
        scroll_into_view("inspect_questions", chosen, visible="inspect_part")
    page_link(part=state[PART])
    return state[PART]


def choices(question: str) -> None:
    """The two rows of buttons: the questions, and the parts of the one asked."""
    state = st.session_state
    st.pills(
        "What do you want to know?",
        list(QUESTIONS),
        key="inspect_question",
        required=True,
        on_change=_pick_question,
        help="Four questions about the network; each has a few parts to choose from below.",
    )
    state[f"inspect_part_{question}"] = state[PART]
    st.pills(
        "Part",
        QUESTIONS[question],
        format_func=PARTS.get,
        key=f"inspect_part_{question}",
        required=True,
        on_change=_pick_part,
        args=(question,),
        label_visibility="collapsed",
    )


def parts(model_key: str, model, data, digit: np.ndarray, source: str, maps: dict) -> None:
    """The chosen part of the page; only it is computed and drawn."""
    part = choose_part()
    x = digit_to_input(digit)
    predicted = int(maps["probabilities"][0].argmax())
    draw = {
        "network": lambda: network_section(model, x, digit, maps),
        "maps": lambda: feature_map_section(maps),
        "numbers": lambda: path_section(maps),
        "cell": lambda: cell_section(model, x, maps),
        "filters": lambda: filter_section(model),
        "wants": lambda: dreams_section(model_key, model),
        "edit": lambda: edit_section(model_key, model, data, digit),
        "pixels": lambda: attributions_section(model, x, digit, predicted),
        "embedding": lambda: embedding_section(model_key, model, data, digit, source),
        "fool": lambda: fool_section(model, x, maps["probabilities"][0]),
        "mistakes": lambda: mistakes_section(model_key, model, data),
        "confusion": lambda: confusion_section(model_key, model, data),
    }
    with st.container(key="inspect_part"):
        draw[part]()


def render() -> None:
    header("Look inside the network")
    if st.session_state.get("page_before", "inspect") != "inspect":  # back from another page:
        st.session_state.pop("net_map", None)  # a map window left open there stays closed
    data = mnist()
    if data is None:
        return
    with st.sidebar:
        st.header("Model")
        first = models.choose()
        compare = compare_toggle()
        second = choose_second(first) if compare and first is not None else None
    if first is None:
        return
    left, right = st.columns([3, 2], vertical_alignment="center")
    with left:
        digit, source = choose_input(data)
    if compare:
        with right:
            digit_picture(digit, source)
        if second is not None:
            side_by_side([first, second], digit, source)
        page_link(part=st.session_state.get(PART, "network"))  # kept for when it is off
        return
    maps = feature_maps(first.model, digit_to_input(digit))
    with right:
        input_summary(digit, source, maps)
    parts(first.key, first.model, data, digit, source, maps)
