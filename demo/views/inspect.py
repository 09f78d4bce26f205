"""The Inspect page: what each layer of the network does with one digit, and where it fails.

The input and the model's answer come first and at once; below them one tab per part (the whole
network at a glance, feature maps, learned filters, what each filter wants to see, the vectors of
the fully connected layers and the answer, one number of conv1 or conv2 by hand, attributions,
editing a filter, the embedding of fc2 features, the model's mistakes on the whole test set).
Only the open tab is computed and drawn, so the page is short on a phone and its first content
quick. With "Compare two models" on, two models read the digit side by side instead
(`inspect_compare`).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from demo import models
from demo.state import mnist
from demo.views.inspect_attributions import attributions_section
from demo.views.inspect_cell import cell_section
from demo.views.inspect_compare import choose_second, compare_toggle, side_by_side
from demo.views.inspect_dreams import dreams_section
from demo.views.inspect_edit import edit_section
from demo.views.inspect_embedding import embedding_section
from demo.views.inspect_mistakes import confusion_section, mistakes_section
from demo.views.inspect_network import network_section
from demo.views.inspect_parts import feature_map_section, filter_section, path_section
from lenet.features import feature_maps
from lenet.preprocess import digit_to_input

PARTS = [
    "Whole network",
    "Feature maps",
    "Learned filters",
    "What filters want",
    "Pixels → answer",
    "One number by hand",
    "Attributions",
    "Edit a filter",
    "Embedding",
    "Mistakes",
    "Confusion matrix",
]


def choose_input(data) -> tuple[np.ndarray, str]:
    """The digit to inspect: the last drawing from the Draw page, or a test digit."""
    drawn = st.session_state.get("current_digit")
    options = (["drawing"] if drawn is not None else []) + ["test"]
    if st.session_state.get("inspect_source") not in options:
        st.session_state["inspect_source"] = options[0]
    labels = {"drawing": "Your last drawing (Draw page)", "test": "A test digit"}
    source = st.radio(
        "Input",
        options,
        format_func=labels.get,
        key="inspect_source",
        horizontal=True,
        help="Inspect what you drew on the Draw page (with its "
        "probes), or any of MNIST's 10,000 test digits.",
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


def digit_picture(digit: np.ndarray) -> None:
    """The 28x28 input, 4x larger."""
    pixels = (np.clip(digit, 0, 1) * 255).astype(np.uint8)
    st.image(np.kron(pixels, np.ones((4, 4), np.uint8)), width=112)


def input_summary(digit: np.ndarray, source: str, maps: dict) -> None:
    """The input as a picture beside the model's answer."""
    predicted = int(maps["probabilities"][0].argmax())
    confidence = float(maps["probabilities"][0, predicted])
    with st.container(horizontal=True, gap="medium", vertical_alignment="center"):
        digit_picture(digit)
        with st.container(gap="small"):
            st.metric("Prediction", f"{predicted} ({confidence:.0%})", help=f"Input: {source}.")
            st.caption(f"Input: {source}. Each tab below follows it through the network.")


def _keep_part() -> None:
    # the tabs' own state is dropped while another page is shown
    st.session_state["inspect_part_kept"] = st.session_state["inspect_part"]


def parts(model_key: str, model, data, digit: np.ndarray, source: str, maps: dict) -> None:
    """One tab per part of the page; only the open one is computed and drawn."""
    if st.session_state.get("inspect_part") not in PARTS:
        st.session_state["inspect_part"] = st.session_state.get("inspect_part_kept", PARTS[0])
    tabs = st.tabs(PARTS, key="inspect_part", on_change=_keep_part)
    x = digit_to_input(digit)
    predicted = int(maps["probabilities"][0].argmax())
    draw = {
        "Whole network": lambda: network_section(model, x, digit, maps),
        "Feature maps": lambda: feature_map_section(maps),
        "Learned filters": lambda: filter_section(model),
        "What filters want": lambda: dreams_section(model_key, model),
        "Pixels → answer": lambda: path_section(maps),
        "One number by hand": lambda: cell_section(model, x, maps),
        "Attributions": lambda: attributions_section(model, x, digit, predicted),
        "Edit a filter": lambda: edit_section(model_key, model, data, digit),
        "Embedding": lambda: embedding_section(model_key, model, data, digit, source),
        "Mistakes": lambda: mistakes_section(model_key, model, data),
        "Confusion matrix": lambda: confusion_section(model_key, model, data),
    }
    for tab, name in zip(tabs, PARTS, strict=True):
        if tab.open:
            with tab:
                draw[name]()


def render() -> None:
    st.title("Look inside the network")
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
            digit_picture(digit)
        if second is not None:
            side_by_side([first, second], digit, source)
        return
    maps = feature_maps(first.model, digit_to_input(digit))
    with right:
        input_summary(digit, source, maps)
    parts(first.key, first.model, data, digit, source, maps)
