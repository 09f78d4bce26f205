"""The parts of the Inspect page that follow one digit through the network, one tab each.

Feature maps, the learned filters, and the vectors of the fully connected layers and the
answer. Each draws only when its tab is open.
"""

from __future__ import annotations

import streamlit as st

from demo.figures import inside, inspect_charts
from demo.ui.screen import chart, projector

PART = "inspect_slug"  # the part shown (a link name), kept while other pages are shown
LAYERS = {
    "conv1": (
        6,
        "6 maps of 28x28: conv1 after its activation. Each map is one learned "
        "5x5 filter slid over the image: bright where the filter's pattern is.",
    ),
    "pool1": (6, "6 maps of 14x14: conv1 shrunk by 2x2 max pooling."),
    "conv2": (
        8,
        "16 maps of 10x10: conv2 combines all six pooled maps into larger "
        "patterns (strokes, corners, curves).",
    ),
    "pool2": (8, "16 maps of 5x5: conv2 pooled; these 400 numbers feed the classifier."),
}


def feature_map_section(maps: dict) -> None:
    layer = st.segmented_control(
        "Layer",
        list(LAYERS),
        default="conv1",
        key="maps_layer",
        required=True,
        help="Which layer's maps to show, in the order the digit passes through them.",
    )
    cols, text = LAYERS[layer]
    st.caption(text + " Hover for exact values; one colour scale per layer.")
    values = maps[layer][0].numpy()
    chart(st, inside.grid_figure(values, f"{layer} feature maps", cols), key="maps")
    st.download_button(
        f"Download the {layer} maps (PNG)",
        key=f"png_{layer}",
        data=lambda: inside.grid_png(values, cols, f"{layer} feature maps"),
        file_name=f"{layer}_feature_maps.png",
        mime="image/png",
        help="A picture of this grid for slides.",
    )


def filter_section(model) -> None:
    """conv1's 6 kernels beside conv2's 96; on a projector one above the other, conv2 across
    the whole width (two thirds of it left its 5x5 kernels unreadable there)."""
    left, right = (st.container(), st.container()) if projector() else st.columns([1, 2])
    with left:
        kernels = model.conv1.weight.detach()[:, 0].numpy()
        chart(
            st,
            inside.grid_figure(kernels, "conv1: 6 kernels, 5x5", 3, "kernel", signed=True),
            key="k1",
        )
        st.caption("Red weights add the pixel's brightness, blue ones subtract it; white is 0.")
    with right:
        kernels = model.conv2.weight.detach().reshape(96, 5, 5).numpy()
        chart(
            st,
            inside.grid_figure(
                kernels,
                "conv2: 16 x 6 kernels, 5x5",
                6,
                "kernel",
                signed=True,
                height=760,
                row_labels=[f"map {k}" for k in range(16)],
            ),
            key="k2",
        )
        st.caption(
            "Row k holds the six kernels of conv2 map k, one per pooled conv1 map "
            "(kernel number = 6k + input map)."
        )


def path_section(maps: dict) -> None:
    for name, title in (
        ("flat", "pool2 flattened: 400 numbers"),
        ("fc1", "fc1: 120 numbers"),
        ("fc2", "fc2: 84 numbers"),
    ):
        chart(st, inside.strip_figure(maps[name][0].numpy(), title), key=f"strip_{name}")
    predicted = int(maps["logits"][0].argmax())
    left, right = st.columns(2)
    chart(
        left,
        inspect_charts.bars_figure(maps["logits"][0].numpy(), "fc3: 10 logits", predicted),
        key="logits",
    )
    chart(
        right,
        inspect_charts.bars_figure(
            maps["probabilities"][0].numpy(), "softmax: probabilities", predicted, percent=True
        ),
        key="softmax",
    )
