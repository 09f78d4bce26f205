"""The Inspect page's embedding tab: where the network puts digits, in its own fc2 features.

1,500 test digits (a fixed, seeded, class-balanced choice) laid out by t-SNE
(`lenet.explain.embedding`), computed once per model and weights and shared by every session; the
shipped model's is computed at server start (`demo.preload.warm_up`), a new model's in about 2 s
behind a spinner. The current digit is a star on it. Plotly's hover cannot show an image, so
hovering names a point and clicking it shows its digit beside the chart (under it on a phone), with
a button that makes it the page's input.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from demo.figures import embedding_chart
from demo.session import costs
from demo.ui.screen import chart
from lenet.data.preprocess import digit_to_input
from lenet.explain.embedding import (
    DIGITS,
    NEIGHBOURS,
    Embedding,
    EmbeddingError,
    embed,
    fc2_features,
    nearest_labels,
    place,
)
from lenet.model import weights_digest

POINT = "embedding_point"  # the test index of the last clicked point


WAIT = f"Placing {DIGITS:,} test digits by what this network sees (about 2 s)..."


@st.cache_resource(show_spinner=False, max_entries=32)  # ~0.6 MB each: a class's own runs
def _embedding(
    model_key: str, weights: str, test_size: int, _model, _data
) -> tuple[Embedding, np.ndarray]:
    costs.charge("embedding")  # a new model's: this session's share (demo.session.costs)
    result = embed(_model, _data.test.images, _data.test.labels)
    with torch.no_grad():
        predicted = _model.fc3(torch.from_numpy(result.features)).argmax(1).numpy()
    for array in (*vars(result).values(), predicted):
        array.setflags(write=False)  # one copy shared by every session
    return result, predicted


def embedding(model_key: str, model, data) -> tuple[Embedding, np.ndarray]:
    """The embedding of a model and each point's prediction, read-only; computed once per model
    key and weights (a live run's model keeps its key while its weights change) and shared by
    every session. Safe to call from a thread (the server's warm-up). Raises EmbeddingError, and
    Busy when this session has computed its share of new ones this minute (`demo.session.costs`)."""
    return _embedding(model_key, weights_digest(model), len(data.test), model, data)


def _pick_point() -> None:
    # called before the run that follows a click; an empty selection keeps the last point
    points = st.session_state["embedding"]["selection"]["points"]
    chosen = [
        p["customdata"][0]
        for p in points
        if isinstance(p, dict) and isinstance(p.get("customdata"), list) and p["customdata"]
    ]
    if chosen and type(chosen[0]) is int and 0 <= chosen[0] < 10_000:  # a test digit's index
        st.session_state[POINT] = chosen[0]


def _inspect(index: int) -> None:
    st.session_state.update(inspect_source="test", inspect_index=index)


def point_panel(data, result: Embedding, predicted: np.ndarray) -> None:
    """The last clicked point's digit, label and prediction, and a button to inspect it."""
    index = st.session_state.get(POINT)
    where = np.flatnonzero(result.indices == index) if index is not None else []
    if not len(where):
        st.info("Click a point to see its digit here.")
        return
    label, guess = int(result.labels[where[0]]), int(predicted[where[0]])
    st.image(
        np.kron(data.test_digits[index], np.ones((4, 4), np.uint8)),
        width=112,
        alt=f"Test digit {index}, labelled {label}",
    )
    verdict = "read right" if label == guess else f"read as **{guess}**"
    st.markdown(f"Test digit **#{index}**, labelled **{label}**, {verdict}.")
    st.button(
        "Inspect it",
        key="embedding_inspect",
        on_click=_inspect,
        args=(index,),
        help="Make it the page's input: every part follows it.",
    )


def _neighbours_text(labels: np.ndarray) -> str:
    """ "its 10 nearest are 7 sevens, 2 ones and 1 nine" (plain words for a projector)."""
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    counts = np.bincount(labels, minlength=10)
    parts = [
        f"{counts[d]} {names[d] if counts[d] == 1 else names[d] + ('es' if d == 6 else 's')}"
        for d in np.argsort(-counts, kind="stable")
        if counts[d]
    ]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"its {len(labels)} nearest are {listed}"


def embedding_section(model_key: str, model, data, digit: np.ndarray, source: str) -> None:
    try:
        with st.spinner(WAIT):
            result, predicted = embedding(model_key, model, data)
    except EmbeddingError as error:
        st.error(f"No embedding for this model: {error}.")
        return
    except costs.Busy as busy:
        st.warning(str(busy), icon=":material/hourglass_top:")
        return
    feature = fc2_features(model, digit_to_input(digit))[0]
    star = place(result, feature)
    left, right = st.columns([3, 1])
    details = np.column_stack([result.indices, predicted])
    chart(
        left,
        embedding_chart.embedding_figure(
            result.positions, result.labels, details, star, "★ this digit"
        ),
        key="embedding",
        on_select=_pick_point,
        selection_mode="points",
    )
    with right:
        point_panel(data, result, predicted)
    st.caption(
        f"Each dot is one of {len(result.indices):,} test digits, placed by t-SNE so that digits "
        "with similar fc2 features (the 84 numbers before the answer) sit close together. ★ is "
        f"{source}: t-SNE cannot place a new digit, so it sits at the mean of the places of its "
        f"{NEIGHBOURS} nearest test digits in those 84 features, nearer ones weighing more "
        f"({_neighbours_text(nearest_labels(result, feature))}). Distances between clusters "
        "mean little in t-SNE; who sits next to whom means a lot."
    )
