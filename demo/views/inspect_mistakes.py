"""The Inspect page's mistakes and confusion tabs: the test digits the model gets wrong.

The gallery shows the most confident mistakes (filtered by true and predicted digit); clicking
one makes it the page's input and opens a window over the page with that digit, its label and
the model's answer, so the user sees what changed wherever they had scrolled to. The confusion
tab counts every (true, predicted) pair and the accuracy of each digit.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from demo import inspect_charts, models, train_charts
from lenet.metrics import class_accuracy, confusion_matrix

SHOWN = 24  # mistakes in the gallery, most confident first
CHOSEN = "inspect_chosen_mistake"  # set by a gallery click, read once by the next run


def _choose(index: int, predicted: int, confidence: float) -> None:
    st.session_state.update(inspect_source="test", inspect_index=index)
    st.session_state[CHOSEN] = (index, predicted, confidence)


def _look_inside() -> None:
    st.session_state.update(inspect_part="Feature maps", inspect_part_kept="Feature maps")


@st.dialog("Now inspecting")
def chosen_mistake(data, index: int, predicted: int, confidence: float) -> None:
    """The digit just chosen from the gallery, in a window over the page."""
    label = int(data.test.labels[index])
    left, right = st.columns([1, 2], vertical_alignment="center")
    left.image(np.kron(data.test_digits[index], np.ones((5, 5), np.uint8)), width=140)
    right.markdown(
        f"**Test digit #{index}**, labelled **{label}**: the model reads it as "
        f"**{predicted}** ({confidence:.0%} sure)."
    )
    right.caption("It is now the page's input: every tab follows it.")
    a, b = st.columns(2)
    if a.button(
        "Look inside it",
        type="primary",
        on_click=_look_inside,
        width="stretch",
        help="Close this and show its feature maps.",
    ):
        st.rerun()
    if b.button("Back to the mistakes", width="stretch", help="Close this and pick another."):
        st.rerun()


def _filters(probs: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, list[int]]:
    """The filter boxes; (which test digits are shown as wrong, the most confident of them)."""
    predicted = probs.argmax(1)
    pick = ["all", *range(10)]
    with st.container(horizontal=True):  # side by side on a phone too
        true = st.selectbox("True digit", pick, key="filter_true", help="Show only this class.")
        guess = st.selectbox("Predicted as", pick, key="filter_pred", help="Show only this answer.")
    wrong = (
        (predicted != labels)
        & ((labels == true) if true != "all" else True)
        & ((predicted == guess) if guess != "all" else True)
    )
    indices = wrong.nonzero().flatten()
    return wrong, indices[probs[indices].max(1).values.argsort(descending=True)][:SHOWN].tolist()


def gallery(data, probs: torch.Tensor, order: list[int]) -> None:
    """The chosen mistakes as small pictures that wrap to the width of the screen."""
    labels, predicted = data.test.labels, probs.argmax(1)
    current = st.session_state.get("inspect_index")
    with st.container(horizontal=True, gap="small"):
        for index in order:
            guess, sure = int(predicted[index]), float(probs[index].max())
            with st.container(width=104, gap="small", horizontal_alignment="center"):
                st.image(np.kron(data.test_digits[index], np.ones((3, 3), np.uint8)))
                st.button(
                    f"{int(labels[index])} → {guess} ({sure:.0%})",
                    key=f"mistake_{index}",
                    on_click=_choose,
                    args=(index, guess, sure),
                    type="primary" if index == current else "secondary",
                    width="stretch",
                    help="true → predicted (confidence): inspect this digit",
                )


def _test_probabilities(model_key: str, model, data) -> torch.Tensor:
    with st.spinner("Reading all 10,000 test digits..."):
        return models.test_probabilities(model_key, model, data)


def mistakes_section(model_key: str, model, data) -> None:
    probs = _test_probabilities(model_key, model, data)
    wrong, order = _filters(probs, data.test.labels)
    st.caption(
        f"{int(wrong.sum())} mistakes match; the {len(order)} most confident are shown. "
        "Click one to inspect it."
    )
    gallery(data, probs, order)
    if (chosen := st.session_state.pop(CHOSEN, None)) is not None:
        chosen_mistake(data, *chosen)


def confusion_section(model_key: str, model, data) -> None:
    probs = _test_probabilities(model_key, model, data)
    matrix = confusion_matrix(probs.argmax(1), data.test.labels)
    left, right = st.columns([1.1, 1])
    left.plotly_chart(inspect_charts.confusion_figure(matrix.numpy()), key="confusion")
    right.plotly_chart(
        train_charts.per_class_figure(class_accuracy(matrix)), key="per_class_inspect"
    )
