"""The Inspect page's "Whole network" tab: every stage for the current digit in one view.

input -> conv1 (6) -> pool1 (6) -> conv2 (16) -> pool2 (16) -> fc1 (120) -> fc2 (84) -> softmax
(10), small and left to right (Streamlit stacks the columns on a phone), as CNN Explainer's
overview. Clicking a map opens it large beside the maps that feed it; clicking a cell of a
conv1 or conv2 map explains it (demo.views.cell_explain). The large view is a fragment, so a
click on a cell reruns only it.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import streamlit as st
import torch

from demo import inside, inspect_charts, network_figures
from demo.views.cell_explain import clickable_map, explain_cell, sliding

STAGES = {"conv1": 1, "pool1": 1, "conv2": 2, "pool2": 2}  # map stages, tiles per row
HEIGHT = 440
STAGE_WIDTH = 104  # px: eight in a row on a desktop, three on a phone
SMALL = {"displayModeBar": False}  # a stage is too narrow for the toolbar beside its title
MAP, CELL = "net_map", "net_cell"  # the opened (layer, map) and the picked (row, col)


def network_section(model, x: torch.Tensor, digit: np.ndarray, maps: dict) -> None:
    st.caption(
        "The digit's path through the whole network, left to right. **Click a map** to open "
        "it large with the maps that feed it; then **click a cell** of a conv map to see how "
        "its number is computed. Hover anything for its values."
    )
    opened = st.session_state[MAP] = valid_map(st.session_state.get(MAP), maps)
    overview(x, maps)
    if opened is None:
        st.info("Click any map above (conv1, pool1, conv2 or pool2) to open it.")
        return
    layer, channel = opened
    st.fragment(large_view)(model, x, maps, layer, channel)
    if layer in ("conv1", "conv2"):
        sliding(model, x, maps, layer, channel, key="net_slide")


def valid_map(opened, maps: dict) -> tuple[str, int] | None:
    """The opened (layer, map) if it names one (a click can only name a real one)."""
    if not isinstance(opened, tuple) or len(opened) != 2 or opened[0] not in STAGES:
        return None
    layer, channel = opened
    return opened if isinstance(channel, int) and 0 <= channel < maps[layer].shape[1] else None


def valid_cell(cell, values: np.ndarray) -> tuple[int, int] | None:
    """The picked (row, col) if it lies in the map."""
    if not isinstance(cell, tuple) or len(cell) != 2:
        return None
    inside = all(isinstance(v, int) and 0 <= v < n for v, n in zip(cell, values.shape, strict=True))
    return cell if inside else None


def overview(x: torch.Tensor, maps: dict) -> None:
    """One small figure per stage, side by side."""
    opened = st.session_state.get(MAP) or (None, None)
    # a row that wraps instead of columns that stack: three stages a row on a phone
    row = st.container(horizontal=True, gap="small", key="net_overview")
    slots = iter(row.container(width=STAGE_WIDTH, gap=None) for _ in range(8))
    next(slots).plotly_chart(
        network_figures.stage_figure(x[0].numpy(), "input", 1, "input", None, HEIGHT),
        key="net_input",
        config=SMALL,
    )
    for layer, cols in STAGES.items():
        values = maps[layer][0].numpy()
        picked = opened[1] if opened[0] == layer else None
        key = f"net_{layer}"
        next(slots).plotly_chart(
            network_figures.stage_figure(
                values, f"{layer} · {len(values)}", cols, "map", picked, HEIGHT
            ),
            key=key,
            config=SMALL,
            on_select=partial(_open, layer, key),
            selection_mode="points",
        )
    for layer, name in (("fc1", "fc1 · 120"), ("fc2", "fc2 · 84")):
        next(slots).plotly_chart(
            network_figures.vector_figure(maps[layer][0].numpy(), name, HEIGHT),
            key=f"net_{layer}",
            config=SMALL,
        )
    probabilities = maps["probabilities"][0].numpy()
    next(slots).plotly_chart(
        network_figures.vector_figure(probabilities, "softmax", HEIGHT, unit="digit"),
        key="net_softmax",
        config=SMALL,
    )


def _open(layer: str, key: str) -> None:
    points = st.session_state[key]["selection"]["points"]
    if points:
        st.session_state[MAP] = (layer, int(points[-1]["point_index"]))
        st.session_state.pop(CELL, None)


def large_view(model, x: torch.Tensor, maps: dict, layer: str, channel: int) -> None:
    """The opened map large beside what feeds it; a picked conv cell explained below."""
    values = maps[layer][0, channel].numpy()
    cell = valid_cell(st.session_state.get(CELL), values)
    left, right = st.columns([2, 3])
    with left:
        if layer.startswith("conv"):

            def pick(row: int, col: int) -> None:
                st.session_state[CELL] = (row, col)

            title = f"{layer} map {channel}: click a cell"
            clickable_map(values, title, cell, f"net_large_{layer}", pick)
            if cell is not None:  # the answer where the student clicked; the working below
                st.markdown(
                    f"**Cell ({cell[0]}, {cell[1]}) = {values[cell]:.4f}**: computed by hand "
                    "just below ↓"
                )
        else:
            st.plotly_chart(
                inside.grid_figure(values[None], f"{layer} map {channel}", 1), key="net_large"
            )
    with right:
        feeding(model, x, maps, layer, channel, cell)
    if layer.startswith("conv") and cell is not None:
        explain_cell(model, x, maps, layer, channel, *cell)
    elif layer.startswith("conv"):
        st.caption("Click a cell of the map to see its number computed by hand.")


def feeding(model, x: torch.Tensor, maps: dict, layer: str, channel: int, cell) -> None:
    """The maps that feed the opened one (and, for conv, the kernels that weight them)."""
    if layer == "conv1":
        st.caption(f"conv1 map {channel} is the input filtered by one 5x5 kernel.")
        fig = inside.grid_figure(x[0].numpy(), "fed by: the input", 1, "input", height=300)
        if cell is not None:  # the cell's receptive field, outlined on the input
            fig.update_layout(shapes=network_figures.patch_boxes(*cell, 1, x.shape[-1]))
        st.plotly_chart(fig, key="feed_input")
        kernel = model.conv1.weight[channel, 0].detach().numpy()
        st.plotly_chart(inspect_charts.numbers_figure(kernel, "its kernel", True), key="feed_k")
    elif layer == "conv2":
        st.caption(
            f"conv2 map {channel} reads all six pool1 maps, each through its own 5x5 kernel "
            "slice; their sums are added."
        )
        pool1 = maps["pool1"][0].numpy()
        fig = inside.grid_figure(pool1, "fed by: the six pool1 maps", 6, "pool1", height=200)
        if cell is not None:
            fig.update_layout(shapes=network_figures.patch_boxes(*cell, 6, pool1.shape[1]))
        st.plotly_chart(fig, key="feed_pool1")
        slices = model.conv2.weight[channel].detach().numpy()
        title = "weighted by: its six 5x5 kernel slices"
        st.plotly_chart(
            inside.grid_figure(slices, title, 6, "slice", signed=True, height=200), key="feed_k2"
        )
    else:
        source = "conv1" if layer == "pool1" else "conv2"
        st.caption(f"{layer} map {channel} keeps each 2x2 block of {source} map {channel}.")
        fig = inside.grid_figure(
            maps[source][0, channel][None].numpy(), f"fed by: {source} map {channel}", 1
        )
        st.plotly_chart(fig, key="feed_source")
