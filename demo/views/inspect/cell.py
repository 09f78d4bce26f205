"""The Inspect page's "One number by hand" tab: one cell of a conv1 or conv2 map computed by hand.

The cell is picked by clicking it on the map, or with the Row and Column sliders; the map, the
sliders and the arithmetic are one fragment, so a click reruns only them. The sliding-kernel
animation below depends on the map alone and is not sent again on a click.
"""

from __future__ import annotations

import streamlit as st
import torch

from demo.views.inspect.cell_explain import clickable_map, explain_cell, sliding

SIZES = {"conv1": (6, 28), "conv2": (16, 10)}  # maps, cells per side
# conv1 keeps the keys it always had (tests and links use them)
KEYS = {
    "conv1": ("cell_map", "cell_row", "cell_col"),
    "conv2": ("cell2_map", "cell2_row", "cell2_col"),
}


def cell_section(model, x: torch.Tensor, maps: dict) -> None:
    st.caption(
        "Pick a map and click a cell, or use the sliders. The kernel sits on a 5x5 patch of the "
        "layer's input. Each value is multiplied by its weight and the products are added up "
        "(for conv2, over all six pool1 maps). Then the bias is added, and the activation gives "
        "the number in the map."
    )
    a, b = st.columns([1, 2])
    layer = a.segmented_control(
        "Layer",
        list(SIZES),
        default="conv1",
        key="cell_layer",
        required=True,
        help="conv1 reads the input; conv2 reads the six pool1 maps.",
    )
    count, _ = SIZES[layer]
    map_key = KEYS[layer][0]
    channel = b.selectbox(
        f"{layer} map", range(count), key=map_key, help=f"Which of the {count} maps."
    )
    st.fragment(picker)(model, x, maps, layer, channel)
    # folded: the tab stays two phone screens long (Whole network shows it open)
    with st.expander(f"Watch the kernel slide over the {layer} input, cell by cell"):
        sliding(model, x, maps, layer, channel, key=f"slide_{layer}")


def picker(model, x: torch.Tensor, maps: dict, layer: str, channel: int) -> None:
    """The clickable map and the sliders, then the picked cell's arithmetic."""
    _, side = SIZES[layer]
    _, row_key, col_key = KEYS[layer]
    state = st.session_state
    for key in (row_key, col_key):  # in the map, whatever a click or an old session left
        value = state.get(key, side // 2)
        state[key] = min(max(value, 0), side - 1) if isinstance(value, int) else side // 2

    def pick(row: int, col: int) -> None:
        state[row_key], state[col_key] = row, col

    left, right = st.columns([1, 1])
    with left:
        picked = (state[row_key], state[col_key])
        title = f"{layer} map {channel}: click a cell"
        clickable_map(maps[layer][0, channel].numpy(), title, picked, f"pick_{layer}", pick)
    with right, st.container(horizontal=True):  # side by side on a phone too
        row = st.slider("Row", 0, side - 1, key=row_key, help=f"Cell row in the {side}x{side} map.")
        col = st.slider(
            "Column", 0, side - 1, key=col_key, help=f"Cell column in the {side}x{side} map."
        )
    explain_cell(model, x, maps, layer, channel, row, col)
