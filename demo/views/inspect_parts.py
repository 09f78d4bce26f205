"""The parts of the Inspect page that follow one digit through the network, one tab each.

Feature maps, the learned filters, the vectors of the fully connected layers and the answer,
one number of conv1 computed by hand, and a saliency map. Each draws only when its tab is open.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from demo import inside, inspect_charts
from lenet.features import conv1_cell, saliency

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
    st.plotly_chart(inside.grid_figure(values, f"{layer} feature maps", cols), key="maps")
    st.download_button(
        f"Download the {layer} maps (PNG)",
        key=f"png_{layer}",
        data=lambda: inside.grid_png(values, cols, f"{layer} feature maps"),
        file_name=f"{layer}_feature_maps.png",
        mime="image/png",
        help="A picture of this grid for slides.",
    )


def filter_section(model) -> None:
    left, right = st.columns([1, 2])
    with left:
        kernels = model.conv1.weight.detach()[:, 0].numpy()
        st.plotly_chart(
            inside.grid_figure(kernels, "conv1: 6 kernels, 5x5", 3, "kernel", signed=True), key="k1"
        )
        st.caption("Red weights add the pixel's brightness, blue ones subtract it; white is 0.")
    with right:
        kernels = model.conv2.weight.detach().reshape(96, 5, 5).numpy()
        st.plotly_chart(
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
        ("fc1", "fc1: 120 units"),
        ("fc2", "fc2: 84 units"),
    ):
        st.plotly_chart(inside.strip_figure(maps[name][0].numpy(), title), key=f"strip_{name}")
    predicted = int(maps["logits"][0].argmax())
    left, right = st.columns(2)
    left.plotly_chart(
        inspect_charts.bars_figure(maps["logits"][0].numpy(), "fc3: 10 logits", predicted),
        key="logits",
    )
    right.plotly_chart(
        inspect_charts.bars_figure(
            maps["probabilities"][0].numpy(), "softmax: probabilities", predicted, percent=True
        ),
        key="softmax",
    )


def cell_section(model, x: torch.Tensor, maps: dict) -> None:
    st.caption(
        "Pick a conv1 map and a cell: the kernel sits on a 5x5 patch of the 32x32 input, "
        "each pixel is multiplied by its weight, the products are summed, the bias is "
        "added, and the activation gives the number in the map."
    )
    a, b, c = st.columns(3)
    channel = a.selectbox("conv1 map", range(6), key="cell_map", help="Which of the six maps.")
    row = b.slider("Row", 0, 27, 14, key="cell_row", help="Cell row in the 28x28 map.")
    col = c.slider("Column", 0, 27, 14, key="cell_col", help="Cell column in the 28x28 map.")
    cell = conv1_cell(model, x, channel, row, col)
    act = model.config.activation
    in_map = float(maps["conv1"][0, channel, row, col])
    st.markdown(
        f"sum of the 25 products = **{cell.products.sum():.4f}**; plus bias "
        f"{cell.bias:+.4f} = **{cell.pre_activation:.4f}**; {act}({cell.pre_activation:.4f})"
        f" = **{cell.value:.4f}**. The map holds **{in_map:.4f}** at row {row}, column "
        f"{col} " + ("✔" if abs(in_map - cell.value) < 1e-4 else "✘")
    )
    figs = st.columns(3)
    for slot, (grid, title, signed) in zip(
        figs,
        (
            (cell.patch, "input patch", False),
            (cell.kernel, "kernel", True),
            (cell.products, "patch x kernel", True),
        ),
        strict=True,
    ):
        slot.plotly_chart(inspect_charts.numbers_figure(grid, title, signed), key=f"cell_{title}")


def saliency_section(model, x: torch.Tensor, digit: np.ndarray, predicted: int) -> None:
    target = st.selectbox(
        "Class",
        range(10),
        index=predicted,
        key=f"saliency_{predicted}",
        help="Gradient x input: how much each pixel, as it is, pushes this "
        "class's score up (red) or down (blue). One backward pass, so it "
        "follows every change at once; occlusion would need a forward "
        "pass per patch and shows coarser blocks.",
    )
    heat = saliency(model, x, target)[2:30, 2:30].numpy()  # the 28x28 area inside the padding
    st.plotly_chart(
        inspect_charts.overlay_figure(digit, heat, f"Saliency for {target}, over the digit"),
        key="saliency",
    )
