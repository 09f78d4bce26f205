"""The Inspect page's "Attributions" tab: which pixels make the score of a chosen class, by four
methods from Captum (lenet.explain.attributions), side by side, two by two.

Each map is drawn over the 32x32 input the network reads (the 28x28 digit resized), on a red-blue
scale of its own centred on zero. Captum runs on a private copy of the model (one per model and
weights, kept for the server), so the shared model gets no hooks and no gradients.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from demo.figures import inspect_charts
from demo.ui.screen import chart
from lenet.explain.attributions import (
    IG_STEPS,
    OCCLUSION_STRIDE,
    OCCLUSION_WINDOW,
    Attributions,
    Explainer,
)
from lenet.model import weights_digest

SENTENCES = {
    "Saliency": "Gradient × input: red pixels, as they are, push the score of {t} up and blue "
    "ones push it down; one backward pass, so it is sharp but noisy.",
    "Integrated Gradients": "Each pixel's share of what the score of {t} gains from a blank "
    "image to this one, summed over {steps} small steps; the shares add up to {gain:.2f}.",
    "Grad-CAM": "Where conv2's maps that raise the score of {t} are active: coarse (10x10, "
    "stretched to 32x32) and never negative.",
    "Occlusion": "How much the score of {t} drops when a {w}x{w} patch around the pixel is "
    "blanked (moved {s} pixels at a time): red patches support {t}, blue ones speak against it.",
}

WAIT = "Working out which pixels mattered (under a second)..."


@st.cache_resource(max_entries=16, show_spinner=False)
def explainer(weights: str, _model) -> Explainer:
    """One private copy per set of weights, shared by every session (it serialises its calls)."""
    return Explainer(_model)


def choose_class(predicted: int) -> int:
    """The class whose score is explained; the prediction unless the student picks another."""
    chosen = st.segmented_control(
        "Explain the score of",
        range(10),
        default=predicted,
        format_func=lambda d: f"{d} ✓" if d == predicted else str(d),
        key=f"attributions_class_{predicted}",  # a new prediction starts from itself again
        help="Which digit's score to explain (✓ marks the model's answer). Pick another digit "
        "to see which pixels speak for or against it.",
    )
    return predicted if chosen is None else int(chosen)


def attributions_section(model, x: torch.Tensor, digit: np.ndarray, predicted: int) -> None:
    target = choose_class(predicted)
    with st.spinner(WAIT):  # 0.1 s on a quiet server, up to 30x that on a busy one
        found = explainer(weights_digest(model), model).explain(x, target)
    background = ((x[0].mean(0).numpy() + 1) / 2).clip(0, 1)  # the 32x32 input, 0 black 1 white
    pictures = list(found.maps().items())
    for row in (pictures[:2], pictures[2:]):
        with st.container(horizontal=True, gap="small"):  # two side by side, on a phone too
            for name, heat in row:
                with st.container(gap=None):
                    chart(
                        st,
                        inspect_charts.attribution_figure(background, heat.numpy(), name),
                        key=f"attributions_{name}",
                        config={"displayModeBar": False},  # small: it would cover the title
                    )
                    st.caption(_sentence(name, found))
    st.caption(
        "Each picture has its own colour scale, with white at 0. Compare colours within one "
        "picture, not their strength between pictures."
    )


def _sentence(name: str, found: Attributions) -> str:
    gain = float(found.integrated_gradients.sum())
    return SENTENCES[name].format(
        t=found.target, steps=IG_STEPS, gain=gain, w=OCCLUSION_WINDOW, s=OCCLUSION_STRIDE
    )
