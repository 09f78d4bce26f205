"""Inspect's comparison mode: two models read the same digit, side by side.

Two runs, two steps of one run, or a trained run and its random start: their ten probabilities,
conv1 filters and conv1 and conv2 maps in pairs, each titled with its model. Each pair is a row
of two columns, so the rows line up on a projector and on a phone (where columns stack) the two
figures of a pair come one under the other, each at full width.
"""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from demo.figures import inside, inspect_charts
from demo.models import choices as models
from demo.models.steps import FINAL, Picked, at_step, choose_step
from demo.ui.screen import chart
from demo.ui.text import plain
from lenet.data.preprocess import digit_to_input
from lenet.explain.features import feature_maps

PICKS = {
    "start": "This run's random start (step 0)",
    "step": "Another step of this run",
    "model": "Another run or model",
}


def compare_toggle() -> bool:
    return st.toggle(
        "Compare two models",
        key="compare_on",
        persist_state="session",
        help="Show two models side by side on the same digit: two runs, two steps of one "
        "run, or a trained run and its random start.",
    )


def choose_second(first: Picked) -> Picked | None:
    """The model to compare with: quick picks within the first model's run, or any model."""
    picks = list(PICKS) if first.run is not None else ["model"]
    if st.session_state.get("compare_pick") not in picks:
        st.session_state["compare_pick"] = picks[0]
    pick = st.radio(
        "Compare with",
        picks,
        format_func=PICKS.get,
        key="compare_pick",
        persist_state="session",
        help="The first model's own run at its random start or at another step (for runs "
        "that kept a training timeline), or any other model.",
    )
    if pick == "start":
        return at_step(first.run, first.run.timeline.steps[0])
    if pick == "step":
        steps = first.run.timeline.steps
        step = choose_step(first.run, "compare_other", default=steps[len(steps) // 2])
        return at_step(first.run, step, first.model if first.step == FINAL else None, first.key)
    return models.choose(
        "compare_choice", "compare_step", "Second model", upload=False, avoid=first.key
    )


def _row(title: str) -> list:
    """A heading across both columns, and the two columns (stacked on a phone)."""
    st.markdown(f"##### {title}")
    return st.columns(2, gap="medium")


def _grid(title: str, values: np.ndarray, cols: int, name: str, **style) -> None:
    """A grid of maps or filters as a PNG, under the name of its model."""
    st.markdown(f"**{plain(title)}**")  # a model's title may hold an upload's file name
    st.image(inside.grid_png(values, cols, name, font_px=15, **style), alt=f"{name} of {title}")


def answers(pair: list[Picked], probs: list[np.ndarray], source: str) -> None:
    """Each model's name and its answer, then its ten probabilities on one 0-100% scale."""
    top = [int(p.argmax()) for p in probs]
    for i, column in enumerate(st.columns(2, gap="medium")):
        with column:
            st.subheader(plain(pair[i].title), anchor=False)
            st.metric("Prediction", f"{top[i]} ({probs[i][top[i]]:.0%})", help=f"Input: {source}.")
    for i, column in enumerate(_row("The ten probabilities")):
        title = html.escape(f"{pair[i].title}: probabilities")  # Plotly reads tags in titles
        figure = inspect_charts.bars_figure(probs[i], title, top[i], percent=True)
        figure.update_yaxes(range=[0, 100])  # one scale for both: 10% looks like 10%
        chart(column, figure, key=f"compare_probs_{i}")


def side_by_side(pair: list[Picked], digit: np.ndarray, source: str) -> None:
    """Both models on the same digit: answer, probabilities, conv1 filters, conv1 and conv2 maps."""
    x = digit_to_input(digit)
    maps = [feature_maps(p.model, x) for p in pair]
    st.caption(
        f"Both read {source}. Each image has its own colour scale (its title gives the range): "
        "compare the patterns, and the ranges for how strong they are."
    )
    answers(pair, [m["probabilities"][0].numpy() for m in maps], source)
    rows = _row("conv1: 6 learned filters (red adds brightness, blue subtracts it)")
    for i, column in enumerate(rows):
        with column:
            kernels = pair[i].model.conv1.weight.detach()[:, 0].numpy()
            _grid(
                pair[i].title,
                kernels,
                3,
                "conv1 filters, 5x5",
                label="filter",
                zoom=22,
                signed=True,
            )
    for layer, cols, zoom, title in (
        ("conv1", 3, 5, "conv1 feature maps: each filter slid over the digit"),
        ("conv2", 4, 10, "conv2 feature maps: 16 larger patterns"),
    ):
        for i, column in enumerate(_row(title)):
            with column:
                _grid(pair[i].title, maps[i][layer][0].numpy(), cols, f"{layer} maps", zoom=zoom)
