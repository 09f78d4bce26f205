"""The Inspect page's mistakes and confusion tabs: the test digits the model gets wrong.

The gallery shows the most confident mistakes (filtered by true and predicted digit; the same
digit in both shows the digits read right, least sure first: the closest calls); clicking one
makes it the page's input and opens a window over the page with that digit, its label and the
model's answer, so the user sees what changed wherever they had scrolled to. The confusion tab
counts every (true, predicted) pair and the accuracy of each digit; clicking a cell shows that
pair's digits right beside the matrix (under it on a phone), so the student sees what they
clicked at once and can click the next cell without leaving the matrix; the Mistakes tab's
filters are set to the same pair.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from demo.figures import inspect_charts, train_charts
from demo.models import choices as models
from demo.ui.screen import chart
from demo.views.inspect.parts import PART
from lenet.training.metrics import class_accuracy, confusion_matrix

SHOWN = 24  # mistakes in the gallery, most confident first
CELL_SHOWN = 12  # digits of a clicked confusion cell shown beside the matrix
CHOSEN = "inspect_chosen_mistake"  # set by a gallery click, read once by the next run
CELL = "confusion_cell"  # (true, predicted) of the last clicked confusion cell


def _choose(index: int, predicted: int, confidence: float) -> None:
    st.session_state.update(inspect_source="test", inspect_index=index)
    st.session_state[CHOSEN] = (index, predicted, confidence)


def show_part(part: str) -> None:
    """Make the Inspect page show a part ("maps", "mistakes": its link names) on its next run."""
    st.session_state[PART] = part


def _look_inside() -> None:
    show_part("maps")


@st.dialog("Now inspecting")
def chosen_mistake(data, index: int, predicted: int, confidence: float) -> None:
    """The digit just chosen from the gallery, in a window over the page."""
    label = int(data.test.labels[index])
    left, right = st.columns([1, 2], vertical_alignment="center")
    left.image(
        np.kron(data.test_digits[index], np.ones((5, 5), np.uint8)),
        width=140,
        alt=f"Test digit {index}, labelled {label}",
    )
    right.markdown(
        f"**Test digit #{index}**, labelled **{label}**: the model reads it as "
        f"**{predicted}** ({confidence:.0%} sure)."
    )
    right.caption("It is now the page's input: every part follows it.")
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


def matching(probs: torch.Tensor, labels: torch.Tensor, true, guess) -> tuple[int, list[int]]:
    """(how many test digits match, the ones to show): for true == guess the digits of that
    class read right, least sure first; otherwise mistakes, most confident first ("all" = any)."""
    predicted, sure = probs.argmax(1), probs.max(1).values
    right = true != "all" and true == guess
    match = (
        ((predicted == labels) if right else (predicted != labels))
        & ((labels == true) if true != "all" else True)
        & ((predicted == guess) if guess != "all" else True)
    )
    indices = match.nonzero().flatten()
    order = sure[indices].argsort(descending=not right)
    return len(indices), indices[order][:SHOWN].tolist()


def _filters(probs: torch.Tensor, labels: torch.Tensor) -> tuple[int, list[int], bool]:
    """The filter boxes; (how many match, the ones shown, whether they are read right)."""
    pick = ["all", *range(10)]
    with st.container(horizontal=True):  # side by side on a phone too
        true = st.selectbox("True digit", pick, key="filter_true", help="Show only this class.")
        guess = st.selectbox(
            "Predicted as",
            pick,
            key="filter_pred",
            help="Show only this answer. The same digit as the true one: digits read right.",
        )
    return *matching(probs, labels, true, guess), true != "all" and true == guess


def gallery(data, probs: torch.Tensor, order: list[int]) -> None:
    """The chosen mistakes as small pictures that wrap to the width of the screen."""
    labels, predicted = data.test.labels, probs.argmax(1)
    current = st.session_state.get("inspect_index")
    with st.container(horizontal=True, gap="small"):
        for index in order:
            guess, sure = int(predicted[index]), float(probs[index].max())
            with st.container(width=104, gap="small", horizontal_alignment="center"):
                st.image(
                    np.kron(data.test_digits[index], np.ones((3, 3), np.uint8)),
                    alt=f"Test digit {index}, labelled {int(labels[index])}, read as {guess}",
                )
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
    with st.spinner(f"The network reads all {len(data.test):,} test digits (about a second)..."):
        return models.test_probabilities(model_key, model, data)


def _count_caption(count: int, shown: int, right: bool) -> str:
    if right:
        return f"{count} digits read right; the {shown} it was least sure of are shown."
    return f"{count} mistakes match; the {shown} most confident are shown."


def mistakes_section(model_key: str, model, data) -> None:
    probs = _test_probabilities(model_key, model, data)
    count, order, right = _filters(probs, data.test.labels)
    st.caption(_count_caption(count, len(order), right) + " Click one to inspect it.")
    gallery(data, probs, order)
    if (chosen := st.session_state.pop(CHOSEN, None)) is not None:
        chosen_mistake(data, *chosen)


def _pick_cell() -> None:
    # called before the run that follows a click; an empty selection keeps the last cell
    cell = inspect_charts.cell_from_points(st.session_state["confusion"]["selection"]["points"])
    if cell is not None:
        st.session_state[CELL] = cell
        st.session_state.update(filter_true=cell[0], filter_pred=cell[1])  # the Mistakes tab


def _open_mistakes() -> None:
    show_part("mistakes")


def cell_gallery(data, probs: torch.Tensor, cell: tuple[int, int] | None) -> None:
    """A clicked cell's digits: that pair's mistakes, or on the diagonal, digits read right."""
    if cell is None:
        st.info(
            "Click a cell of the matrix to see its digits here: off the diagonal the mistakes "
            "of that pair, on it digits read right."
        )
        return
    true, guess = cell
    count, order = matching(probs, data.test.labels, true, guess)
    if count == 0:
        read = "right" if true == guess else f"as {guess}"
        st.markdown(f"**No test digit labelled {true} is read {read}.**")
        return
    if true == guess:
        st.markdown(f"**{count} digits labelled {true} read right**; the least sure first:")
    else:
        st.markdown(
            f"**{count} digits labelled {true} read as {guess}**; the most confident first:"
        )
    gallery(data, probs, order[:CELL_SHOWN])
    if count > CELL_SHOWN:
        st.button(
            f"All {count} in the Mistakes tab",
            on_click=_open_mistakes,
            help="Open the Mistakes tab, filtered to this pair.",
        )


def confusion_section(model_key: str, model, data) -> None:
    probs = _test_probabilities(model_key, model, data)
    matrix = confusion_matrix(probs.argmax(1), data.test.labels)
    cell = st.session_state.get(CELL)
    left, right = st.columns([1.1, 1])
    chart(
        left,
        inspect_charts.confusion_figure(matrix.numpy(), cell),
        key="confusion",
        on_select=_pick_cell,
        selection_mode="points",
    )
    with right:
        cell_gallery(data, probs, cell)
    chart(st, train_charts.per_class_figure(class_accuracy(matrix)), key="per_class_inspect")
    if (chosen := st.session_state.pop(CHOSEN, None)) is not None:
        chosen_mistake(data, *chosen)
