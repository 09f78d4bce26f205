"""Figures for the whole network at a glance and for picking one cell (no Streamlit here).

A heatmap reports no clicks (streamlit#8760), so every clickable figure carries a scatter of
transparent markers on top, one per map (the overview) or one per cell (a map opened large):
with `hoverdistance` -1 a click anywhere picks the nearest marker, whose index says what was
clicked. The marker trace is always the last trace of its figure.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from demo.figures.charts import image_figure
from demo.figures.inside import tile
from lenet.explain.cells import Field

PICK = "#ff7f0e"  # the chosen map or cell, and the receptive field
CLEAR = "rgba(0,0,0,0)"


def _markers(x: list[float], y: list[float], text: list[str], size: int) -> dict:
    return {
        "type": "scatter",
        "mode": "markers",
        "x": x,
        "y": y,
        "text": text,
        "hovertemplate": "%{text}<extra></extra>",
        "marker": {"size": size, "color": CLEAR, "symbol": "square"},
        "showlegend": False,
    }


def _box(top: float, left: float, size_y: float, size_x: float, width: int = 3, **ref) -> dict:
    """An outline around cells top..top+size_y-1, left..left+size_x-1 (cell centres are ints)."""
    return {
        "type": "rect",
        "x0": left - 0.5,
        "x1": left + size_x - 0.5,
        "y0": top - 0.5,
        "y1": top + size_y - 0.5,
        "line": {"color": PICK, "width": width},
        **ref,
    }


def _clickable(title: str, traces: list[dict], height: int, shapes: list[dict]) -> go.Figure:
    return image_figure(
        title, traces, height, hoverdistance=-1, shapes=shapes, dragmode=False, showlegend=False
    )


def stage_figure(
    values: np.ndarray, title: str, cols: int, label: str, picked: int | None, height: int
) -> go.Figure:
    """The maps (N, H, W) of one stage as a small grid, one click marker per map."""
    n, h, w = values.shape
    grid, _ = tile(values, cols)
    cells = {
        "type": "heatmap",
        "z": np.where(np.isnan(grid), None, grid).tolist(),
        "colorscale": "Viridis",
        "showscale": False,
        "hoverinfo": "skip",
    }
    spots = [divmod(i, cols) for i in range(n)]
    x = [c * (w + 1) + (w - 1) / 2 for _, c in spots]
    y = [r * (h + 1) + (h - 1) / 2 for r, _ in spots]
    text = [f"{label} {i}: click to open it" for i in range(n)]
    shapes = []
    if picked is not None:
        r, c = spots[picked]
        shapes.append(_box(r * (h + 1), c * (w + 1), h, w, width=2))
    return _clickable(title, [cells, _markers(x, y, text, 12)], height, shapes)


def vector_figure(values: np.ndarray, title: str, height: int, unit: str = "unit") -> go.Figure:
    """A vector as one column of coloured cells, first at the top (hover for values)."""
    cells = {
        "type": "heatmap",
        "z": [[float(v)] for v in values],
        "colorscale": "Viridis",
        "showscale": False,
        "xgap": 0,
        "ygap": 1 if len(values) <= 20 else 0,
        "hovertemplate": unit + " %{y}: %{z:.3f}<extra></extra>",
    }
    if unit == "digit":  # the softmax: each cell says which digit it is
        cells.update(text=[[str(i)] for i in range(len(values))], texttemplate="%{text}")
    return image_figure(title, [cells], height, yaxis={"scaleanchor": None})


def map_figure(values: np.ndarray, title: str, picked: tuple[int, int] | None) -> go.Figure:
    """One map (H, W) large, one click marker per cell; the picked cell outlined."""
    h, w = values.shape
    cells = {
        "type": "heatmap",
        "z": values.tolist(),
        "colorscale": "Viridis",
        "colorbar": {"thickness": 12},
        "hoverinfo": "skip",
    }
    rows, cols = np.indices((h, w)).reshape(2, -1)
    text = [f"row {r}, column {c}: {values[r, c]:.3f}" for r, c in zip(rows, cols, strict=True)]
    shapes = [] if picked is None else [_box(picked[0], picked[1], 1, 1)]
    markers = _markers(cols.tolist(), rows.tolist(), text, max(6, 300 // max(h, w)))
    return _clickable(title, [cells, markers], 380, shapes)


def cell_of(point_index: int, width: int) -> tuple[int, int]:
    """(row, col) of the map cell whose click marker has this index."""
    return divmod(int(point_index), width)


def field_figure(image: np.ndarray, field: Field, title: str) -> go.Figure:
    """The 32x32 input in grey with the receptive field outlined and tinted."""
    pixels = {
        "type": "heatmap",
        "z": image.tolist(),
        "colorscale": "gray",
        "showscale": False,
        "hovertemplate": "row %{y}, column %{x}: %{z:.2f}<extra></extra>",
    }
    box = _box(field.top, field.left, field.size, field.size)
    box["fillcolor"] = "rgba(255,127,14,0.25)"
    return image_figure(title, [pixels], 260, shapes=[box])


def patch_boxes(field_top: int, field_left: int, count: int, size: int) -> list[dict]:
    """A 5x5 outline at (top, left) on each of `count` tiles of `size` laid out in one row."""
    return [_box(field_top, i * (size + 1) + field_left, 5, 5, width=2) for i in range(count)]
