"""The Inspect page's "Edit a filter" tab: knock out conv1/conv2 channels or give a conv1 channel
a classic edge detector, and see the current digit's answer and the test accuracy change.

Edits apply to a copy (`lenet.explain.surgery.edited_copy`): the chosen model is shared by every
session and is never touched. The edits are kept per model key in session state (the widgets' own
state is dropped while another tab or page is shown); the edited copy's test accuracy is cached per
(model key, edits) for models whose weights never change.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from demo.figures import inside
from demo.figures.charts import GREY, ORANGE, figure
from demo.models import choices as models
from demo.ui.screen import chart
from lenet.data.preprocess import digit_to_input
from lenet.explain.features import feature_maps
from lenet.explain.surgery import ZERO, Edit, edited_copy
from lenet.model import weights_digest
from lenet.training.metrics import predict_logits

KEPT = "filter_edits"  # {model key: tuple of Edit}
LEARNED = "learned"
CONV1_CHOICES = {
    LEARNED: "learned (as trained)",
    ZERO: "knocked out",
    "sobel_x": "Sobel x: vertical edges",
    "sobel_y": "Sobel y: horizontal edges",
    "prewitt_x": "Prewitt x: vertical edges",
    "prewitt_y": "Prewitt y: horizontal edges",
    "laplacian": "Laplacian: outlines",
    "log": "Laplacian of Gaussian 5x5: blobs",
}
CONV1_HELP = (
    "Keep this learned kernel, knock it out (kernel and bias set to 0: its map becomes flat), "
    "or replace it with a classic edge detector (bias 0). The 3x3 detectors (Sobel, Prewitt, "
    "Laplacian) sit in the middle of the 5x5 kernel with a ring of zeros around them."
)
INTRO = (
    "Change the network and watch what breaks. Each conv1 kernel can be kept, knocked out or "
    "replaced by a classic edge detector; any conv2 map can be knocked out. The changes apply "
    "to a copy of the model, never to the model itself."
)


def _keys(model_key: str) -> list[str]:
    """The widgets' keys for this model: six conv1 choices, then the conv2 knock-outs."""
    return [f"edit_{model_key}_conv1_{c}" for c in range(6)] + [f"edit_{model_key}_conv2"]


def _widget_values(edits: tuple[Edit, ...]) -> list:
    conv1 = {e.channel: e.change for e in edits if e.layer == "conv1"}
    return [conv1.get(c, LEARNED) for c in range(6)] + [
        sorted(e.channel for e in edits if e.layer == "conv2")
    ]


def _restore(model_key: str) -> None:
    st.session_state[KEPT][model_key] = ()
    for key, value in zip(_keys(model_key), _widget_values(()), strict=True):
        st.session_state[key] = value


def controls(model_key: str) -> tuple[Edit, ...]:
    """The edit widgets (started from the edits kept for this model) and the Restore button."""
    kept = st.session_state.setdefault(KEPT, {}).get(model_key, ())
    keys = _keys(model_key)
    for key, value in zip(keys, _widget_values(kept), strict=True):
        st.session_state.setdefault(key, value)
    for row in (range(3), range(3, 6)):  # two rows of three, a row on a phone too
        line = st.container(horizontal=True, gap="small")
        for c in row:
            line.selectbox(
                f"conv1 map {c}",
                list(CONV1_CHOICES),
                format_func=CONV1_CHOICES.get,
                key=keys[c],
                help=CONV1_HELP,
            )
    st.multiselect(
        "Knock out conv2 maps",
        list(range(16)),
        key=keys[6],
        select_all=False,  # one careless click would knock out all 16
        help="The chosen conv2 maps get all their weights set to 0. Each map goes flat, 0 "
        "everywhere, and the layers after it lose what it found.",
    )
    values = [st.session_state[key] for key in keys]
    edits = tuple(Edit("conv1", c, v) for c, v in enumerate(values[:6]) if v != LEARNED)
    edits += tuple(Edit("conv2", k) for k in sorted(values[6]))
    st.session_state[KEPT][model_key] = edits
    st.button(
        "Restore the original",
        on_click=_restore,
        args=(model_key,),
        disabled=not edits,
        help="Undo every edit of this model at once.",
    )
    return edits


def _test_accuracy(model, data) -> float:
    predicted = predict_logits(model, data.test.images).argmax(1)
    return float((predicted == data.test.labels).float().mean())


@st.cache_data(max_entries=64, show_spinner=False)
def _cached_edited_accuracy(weights: str, edits: tuple, _model, _data) -> float:
    return _test_accuracy(edited_copy(_model, [Edit(*e) for e in edits]), _data)


def edited_accuracy(edits: tuple[Edit, ...], model, data) -> float:
    """The edited copy's accuracy on the test set, cached by the model's weights and the edits
    (a live run's model or a rewritten file gets a new digest)."""
    plain = tuple(dataclasses.astuple(e) for e in edits)
    return _cached_edited_accuracy(weights_digest(model), plain, model, data)


def _answer(probabilities: torch.Tensor) -> str:
    predicted = int(probabilities.argmax())
    return f"{predicted} ({float(probabilities[predicted]):.0%})"


def answers(model_key: str, model, edits: tuple[Edit, ...], data, original, edited) -> None:
    """The digit's prediction and the test accuracy, original beside edited."""
    count = f"all {len(data.test):,} test digits"
    with st.spinner(f"The network reads {count} (about a second)..."):
        probs = models.test_probabilities(model_key, model, data)
        before = float((probs.argmax(1) == data.test.labels).float().mean())
    after = before
    if edits:
        with st.spinner(f"The edited copy reads {count} (about a second)..."):
            after = edited_accuracy(edits, model, data)
    line = st.container(horizontal=True)  # wraps (two a row) on a phone instead of stacking
    line.metric(
        "Prediction, original",
        _answer(original["probabilities"][0]),
        help="The model as chosen, reading the current digit.",
    )
    line.metric(
        "Prediction, edited",
        _answer(edited["probabilities"][0]),
        help="The edited copy reading the same digit.",
    )
    line.metric("Test accuracy, original", f"{before:.2%}", help=f"Right on {count}.")
    line.metric(
        "Test accuracy, edited",
        f"{after:.2%}",
        delta=f"{100 * (after - before):+.2f} points" if edits else None,
        help=f"The edited copy, right on {count}.",
    )
    chart(
        st,
        probabilities_figure(original["probabilities"][0], edited["probabilities"][0]),
        key="edit_probabilities",
    )


def probabilities_figure(original: torch.Tensor, edited: torch.Tensor) -> go.Figure:
    """The ten probabilities of the original and of the edited copy, as pairs of bars."""
    digits = [str(d) for d in range(len(original))]
    bars = [
        {
            "type": "bar",
            "name": name,
            "x": digits,
            "y": (100 * values).tolist(),
            "marker": {"color": colour},
            "hovertemplate": f"{name}, digit %{{x}}: %{{y:.2f}}%<extra></extra>",
        }
        for name, values, colour in (("original", original, GREY), ("edited", edited, ORANGE))
    ]
    return figure(
        "Probability of each digit: original and edited",
        bars,
        height=300,
        x_title="digit",
        hovermode="closest",
        barmode="group",
        yaxis={"ticksuffix": "%", "range": [0, 100]},
        margin={"l": 55, "r": 15, "t": 66, "b": 80},
    )


def _changed(edits: tuple[Edit, ...], layer: str) -> str:
    named = [
        f"{e.channel} ({CONV1_CHOICES[e.change].split(':')[0]})" for e in edits if e.layer == layer
    ]
    return f"Edited {layer} maps: {', '.join(named)}." if named else f"No {layer} map is edited."


def maps_view(edits: tuple[Edit, ...], original: dict, edited: dict) -> None:
    """The digit's conv1 or conv2 maps, original above edited, on one colour scale."""
    layer = st.segmented_control(
        "Maps",
        ["conv1", "conv2"],
        default="conv1",
        key="edit_maps_layer",
        required=True,
        help="Which layer's maps of the current digit to compare. Editing conv1 changes "
        "conv1 and every layer after it; editing conv2 leaves conv1 as it was.",
    )
    st.caption(
        _changed(edits, layer) + " A knocked-out map is act(0) = 0 everywhere: one flat colour."
    )
    pair = [maps[layer][0].numpy() for maps in (original, edited)]
    low, high = float(np.min(pair)), float(np.max(pair))
    for values, who in zip(pair, ("original", "edited"), strict=True):  # map c above map c
        grid = inside.grid_figure(values, f"{layer} maps, {who}", 6 if layer == "conv1" else 8)
        grid.update_layout(coloraxis_cmin=low, coloraxis_cmax=high)
        chart(st, grid, key=f"edit_maps_{who}")


def edit_section(model_key: str, model, data, digit: np.ndarray) -> None:
    st.caption(INTRO)
    edits = controls(model_key)
    x = digit_to_input(digit)
    original = feature_maps(model, x)
    edited = feature_maps(edited_copy(model, edits), x) if edits else original
    answers(model_key, model, edits, data, original, edited)
    maps_view(edits, original, edited)
