"""The Inspect page's "What filters look for" part: for each of the 6 conv1 and 16 conv2 channels,
the patch of input that excites its centre cell most (lenet.explain.dreams), found once per model
and kept for the server: about 0.2 s a model, the shipped one's at server start (`demo.preload`),
which also takes the 1.8 s import that torch's optimisers do on their first use."""

from __future__ import annotations

import numpy as np
import streamlit as st

from demo.figures import inspect_charts
from demo.ui.screen import chart
from lenet.explain.dreams import LAYERS, DreamConfig, crop, dreams
from lenet.model import weights_digest

SEED = 0
COLUMNS = {"conv1": 6, "conv2": 8}


WAIT = "Finding what each of the 22 filters looks for (about a second)..."


@st.cache_data(max_entries=16, show_spinner=False)
def cached_dreams(model_key: str, weights: str, _model) -> dict[str, np.ndarray]:
    """{"conv1": (6, 5, 5), "conv2": (16, 14, 14)} in [-1, 1]: each channel's receptive field,
    per model key and weights (a live run's latest weights keep their key)."""
    found = dreams(_model, seed=SEED)
    return {layer: crop(images, layer).mean(1).numpy() for layer, images in found.items()}


def dreams_section(model_key: str, model) -> None:
    with st.spinner(WAIT):
        found = cached_dreams(model_key, weights_digest(model), model)
    for layer, count in LAYERS.items():
        chart(
            st,
            inspect_charts.dreams_figure(
                found[layer],
                f"{layer}: what each of its {count} filters (ch) wants",
                COLUMNS[layer],
            ),
            key=f"dreams_{layer}",
        )
    steps = DreamConfig().steps
    st.caption(
        f"How these were made: we start from faint random noise (seed {SEED}). Then {steps} steps "
        "of gradient ascent change only the pixels that the middle cell of a filter's map can see "
        "(5x5 for conv1, 14x14 for conv2), each step making that cell a little more active. "
        "Penalties on bright pixels and on jumps between neighbours keep the picture clean. Each "
        "picture is stretched so its strongest pixel is black (a negative input) or white "
        "(positive); grey is 0. A conv1 picture is its kernel's pattern; a conv2 picture shows "
        "the strokes it looks for. An untrained network (a run's step 0) has random filters, so "
        "its pictures are noise."
    )
