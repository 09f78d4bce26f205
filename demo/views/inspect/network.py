"""The Inspect page's "Whole network" part: every stage for the current digit in one view.

input -> conv1 (6) -> pool1 (6) -> conv2 (16) -> pool2 (16) -> fc1 (120) -> fc2 (84) -> the answer
(10), small and left to right (four a row on a phone), as CNN Explainer's overview: HTML buttons
drawn by `demo.figures.network_overview`, in a component that reports the map pressed. The pressed
map opens large in a dialog, where the student already looks, beside the maps that feed it; clicking
a cell of a conv1 or conv2 map explains it (demo.views.inspect.cell_explain). The dialog is a
fragment, so a click on a cell reruns only it.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st
import torch

from demo.figures import inside, inspect_charts, network_figures
from demo.figures.network_overview import MAP_STAGES, OVERVIEW_CSS, OVERVIEW_JS, overview_html
from demo.ui.screen import chart, load_charts_early
from demo.views.inspect.cell_explain import clickable_map, explain_cell, sliding

STAGES = MAP_STAGES  # the stages with maps to open
MAP, CELL = "net_map", "net_cell"  # the opened (layer, map) and the picked (row, col)
OVERVIEW = "net_overview"


def network_section(model, x: torch.Tensor, digit: np.ndarray, maps: dict) -> None:
    st.caption(
        "The digit's path through the whole network, left to right. **Click a map** to open it "
        "large, with the maps that feed it. Then **click a cell** of a conv map to see how its "
        "number is worked out."
    )
    opened = st.session_state[MAP] = valid_map(st.session_state.get(MAP), maps)
    overview(x, maps, opened)
    load_charts_early()  # the overview has none, the opened map's view several
    if opened is None:
        return
    layer, channel = opened
    st.dialog(f"{layer} map {channel}", width="large", on_dismiss=_close)(large_view)(
        model, x, maps, layer, channel
    )


def valid_map(opened, maps: dict) -> tuple[str, int] | None:
    """The opened (layer, map) if it names one (a click can only name a real one; a forged
    report names anything: a list, True for 1)."""
    if not isinstance(opened, tuple) or len(opened) != 2:
        return None
    layer, channel = opened
    if not isinstance(layer, str) or layer not in STAGES or type(channel) is not int:
        return None
    return opened if 0 <= channel < maps[layer].shape[1] else None


def valid_cell(cell, values: np.ndarray) -> tuple[int, int] | None:
    """The picked (row, col) if it lies in the map."""
    if not isinstance(cell, tuple) or len(cell) != 2:
        return None
    inside = all(type(v) is int and 0 <= v < n for v, n in zip(cell, values.shape, strict=True))
    return cell if inside else None


def overview(x: torch.Tensor, maps: dict, opened: tuple[str, int] | None) -> None:
    """Every stage side by side; pressing a map opens it (`_open`)."""
    markup = overview_html(x[0, 0].numpy(), maps, opened)
    component = st.components.v2.component(
        "lenet.network_overview", html="", css=OVERVIEW_CSS, js=OVERVIEW_JS
    )
    version = hashlib.blake2b(markup.encode(), digest_size=8).hexdigest()
    component(key=OVERVIEW, data={"html": markup, "version": version}, on_open_change=_open)


def _open() -> None:
    pressed = (st.session_state.get(OVERVIEW) or {}).get("open")
    if not isinstance(pressed, dict):  # a forged report: the page's own sends an object
        return
    layer, channel = pressed.get("layer"), pressed.get("map")
    if isinstance(layer, str) and layer in STAGES and type(channel) is int:  # checked again
        st.session_state[MAP] = (layer, channel)  # against the maps when drawn (valid_map)
        st.session_state.pop(CELL, None)


def _close() -> None:
    st.session_state.pop(MAP, None)
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

            # the answer above the map: on a projector it was below the window's fold
            if cell is not None:
                st.markdown(
                    f"**Cell ({cell[0]}, {cell[1]}) = {values[cell]:.4f}**: worked out by hand "
                    "below ↓"
                )
            else:
                st.markdown("**Click a cell** to see how its number is worked out.")
            title = f"{layer} map {channel}: click a cell"
            clickable_map(values, title, cell, f"net_large_{layer}", pick)
        else:
            chart(
                st, inside.grid_figure(values[None], f"{layer} map {channel}", 1), key="net_large"
            )
    with right:
        feeding(model, x, maps, layer, channel, cell)
    if layer.startswith("conv") and cell is not None:
        explain_cell(model, x, maps, layer, channel, *cell)
    if layer.startswith("conv"):
        sliding(model, x, maps, layer, channel, key="net_slide")


def feeding(model, x: torch.Tensor, maps: dict, layer: str, channel: int, cell) -> None:
    """The maps that feed the opened one (and, for conv, the kernels that weight them)."""
    if layer == "conv1":
        st.caption(f"conv1 map {channel} is the input filtered by one 5x5 kernel.")
        fig = inside.grid_figure(x[0].numpy(), "fed by: the input", 1, "input", height=300)
        if cell is not None:  # the cell's receptive field, outlined on the input
            fig.update_layout(shapes=network_figures.patch_boxes(*cell, 1, x.shape[-1]))
        chart(st, fig, key="feed_input")
        kernel = model.conv1.weight[channel, 0].detach().numpy()
        chart(st, inspect_charts.numbers_figure(kernel, "its kernel", True), key="feed_k")
    elif layer == "conv2":
        st.caption(
            f"conv2 map {channel} reads all six pool1 maps, each through its own 5x5 kernel "
            "slice; their sums are added."
        )
        pool1 = maps["pool1"][0].numpy()
        # numbers only: six "pool1 0" labels ran into each other on a phone
        fig = inside.grid_figure(pool1, "fed by: the six pool1 maps, 0 to 5", 6, "", height=200)
        if cell is not None:
            fig.update_layout(shapes=network_figures.patch_boxes(*cell, 6, pool1.shape[1]))
        chart(st, fig, key="feed_pool1")
        slices = model.conv2.weight[channel].detach().numpy()
        title = "weighted by: its six 5x5 kernel slices"
        chart(
            st,
            inside.grid_figure(slices, title, 6, "", signed=True, height=200),
            key="feed_k2",
        )
    else:
        source = "conv1" if layer == "pool1" else "conv2"
        st.caption(f"{layer} map {channel} keeps each 2x2 block of {source} map {channel}.")
        fig = inside.grid_figure(
            maps[source][0, channel][None].numpy(), f"fed by: {source} map {channel}", 1
        )
        chart(st, fig, key="feed_source")
