"""One picked cell of a conv1 or conv2 map explained: the input pixels it sees, the patch x kernel
arithmetic that gives its value, and the kernel sliding over the input to fill its map.

Shared by the Inspect page's "Whole network" and "One number by hand" tabs. A map drawn with
`clickable_map` reports a click through `on_select`; the picked cell is kept in the session's
own key, since a chart's selection is dropped whenever its figure changes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st
import torch

from demo.figures import inside, inspect_charts, network_figures
from demo.figures.slide_figure import slide_figure
from demo.ui.screen import chart
from lenet.explain.cells import ConvCell, conv_cell, layer_input, receptive_field

TOLERANCE = 1e-4
GRID_WIDTH = 170  # px: a 5x5 grid of numbers, readable; three a row on a desktop


def clickable_map(
    values: np.ndarray, title: str, picked: tuple[int, int] | None, key: str, on_cell: Callable
) -> None:
    """A map (H, W) large; a click on a cell calls on_cell(row, col) before the rerun."""

    def clicked() -> None:
        points = st.session_state[key]["selection"]["points"]
        index = points[-1].get("point_index") if points and isinstance(points[-1], dict) else None
        if type(index) is int and 0 <= index < values.size:  # a forged click names anything
            on_cell(*network_figures.cell_of(index, values.shape[1]))

    chart(
        st,
        network_figures.map_figure(values, title, picked),
        key=key,
        on_select=clicked,
        selection_mode="points",
    )


def explain_cell(
    model, x: torch.Tensor, maps: dict, layer: str, channel: int, row: int, col: int
) -> None:
    """The receptive field on the input beside the arithmetic, then the arithmetic's figures."""
    cell = conv_cell(model, x, layer, channel, row, col)
    field = receptive_field(layer, row, col)
    left, right = st.columns([1, 2], vertical_alignment="center")
    side = f"{field.size}x{field.size}"
    chart(
        left,
        network_figures.field_figure(
            x[0, 0].numpy(), field, f"What {layer} map {channel}, cell ({row}, {col}) sees"
        ),
        key=f"field_{layer}",
    )
    left.caption(f"The {side} pixels of the 32x32 input this number depends on.")
    in_map = float(maps[layer][0, channel, row, col])
    with right:
        st.markdown(arithmetic(cell, model.config.activation, in_map))
    if layer == "conv1":
        _conv1_grids(cell)
    else:
        _conv2_grids(cell)


def arithmetic(cell: ConvCell, activation: str, in_map: float) -> str:
    """The sums, bias and activation in words and numbers, with a check against the map."""
    check = "✔" if abs(in_map - cell.value) < TOLERANCE else "✘"
    pre, act = cell.pre_activation, activation
    holds = f"The map holds **{in_map:.4f}** at row {cell.row}, column {cell.col} {check}"
    if cell.layer == "conv1":
        return (
            f"sum of the 25 products = **{cell.products.sum():.4f}**; plus bias "
            f"{cell.bias:+.4f} = **{pre:.4f}**; {act}({pre:.4f}) = **{cell.value:.4f}**. " + holds
        )
    lines = [
        f"- pool1 map {c}: the 25 products of its 5x5 patch and kernel slice sum to "
        f"**{total:+.4f}**"
        for c, total in enumerate(cell.channel_sums)
    ]
    return (
        "\n".join(lines)
        + f"\n\nTotal over the six channels = **{cell.channel_sums.sum():.4f}**; plus bias "
        f"{cell.bias:+.4f} = **{pre:.4f}**; {act}({pre:.4f}) = **{cell.value:.4f}**.\n\n" + holds
    )


def _conv1_grids(cell: ConvCell) -> None:
    # a row that wraps (two a row on a phone) rather than columns that stack
    row = st.container(horizontal=True, gap="small", key="cell_grids")
    figs = [row.container(width=GRID_WIDTH, gap=None) for _ in range(3)]
    grids = (
        (cell.patches[0], "input patch", False),
        (cell.kernels[0], "kernel", True),
        (cell.products[0], "patch x kernel", True),
    )
    for slot, (grid, title, signed) in zip(figs, grids, strict=True):
        chart(
            slot,
            inspect_charts.numbers_figure(grid, title, signed, height=230),
            key=f"cell_{title}",
            config={"displayModeBar": False},  # too narrow for the toolbar beside its title
        )


def _conv2_grids(cell: ConvCell) -> None:
    grids = (
        (cell.patches, "the six 5x5 patches of pool1", "pool1", False),
        (cell.kernels, f"the six kernel slices of conv2 map {cell.channel}", "slice", True),
        (cell.products, "patch x kernel, per channel", "channel", True),
    )
    for values, title, label, signed in grids:
        chart(
            st,
            inside.grid_figure(values, title, 6, label, signed=signed, height=200),
            key=f"cell2_{label}",
        )


def sliding(model, x: torch.Tensor, maps: dict, layer: str, channel: int, key: str) -> None:
    """The kernel sliding over the layer's input, filling map `channel` cell by cell."""
    inputs = layer_input(model, x, layer)[0].numpy()
    what = "the input" if layer == "conv1" else "all six pool1 maps at once"
    st.caption(
        f"The kernel slides over {what}; each stop computes one cell of {layer} map {channel}. "
        "**▶ Play** (or Slow, Fast) runs it from where it stands, **❚❚ Pause** holds it."
    )
    title = f"Sliding the kernel: {layer} map {channel}"
    chart(st, slide_figure(inputs, maps[layer][0, channel].numpy(), title), key=key)
