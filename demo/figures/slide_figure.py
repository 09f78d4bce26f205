"""The kernel sliding over a layer's input and filling its map cell by cell: a Plotly animation.

Plotly frames rather than a Streamlit fragment that reruns per frame: the browser plays them on
its own, as smoothly at 30 ms a frame as at 400 ms, and a classroom of students playing costs
the server nothing (a fragment would rerun a script, and send two figures, for every cell).
Each frame changes only three layout shapes (the kernel's outline on the input, a white cover
over the map's cells not computed yet, the current cell's outline), so even conv1's 784 frames
are a few hundred kilobytes. Play, Pause and the speeds are Plotly buttons: changing speed
mid-play goes on from the current cell, where a Streamlit control would rebuild the figure.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from demo.figures.charts import figure
from demo.figures.inside import tile
from demo.figures.network_figures import PICK

KERNEL = 5
SPEEDS = {"▶ Slow": 400, "▶ Play": 120, "▶ Fast": 30}  # ms per cell
GAP = 0.04  # of the width, between the input and the map


def _rect(top: float, left: float, size: int) -> str:
    """A square outline around `size` x `size` cells from (top, left), as a path."""
    x0, y0 = left - 0.5, top - 0.5  # absolute commands: Plotly ignores relative ones
    return f"M{x0},{y0}H{x0 + size}V{y0 + size}H{x0}Z"


def _cover(row: int, col: int, h: int, w: int) -> str:
    """The cells after (row, col) in reading order, as one path (empty at the last cell)."""
    if row == h - 1 and col == w - 1:
        return "M0,0Z"
    r, c = row - 0.5, col + 0.5
    return f"M{c},{r}H{w - 0.5}V{h - 0.5}H-0.5V{r + 1}H{c}Z"


def _shapes(k: int, tiles: int, size: int, cols: int, h: int, w: int) -> list[dict]:
    """The three shapes of frame k: kernel outlines on every input tile, cover, current cell."""
    row, col = divmod(k, w)
    kernel = "".join(
        _rect(r * (size + 1) + row, c * (size + 1) + col, KERNEL)
        for r, c in (divmod(i, cols) for i in range(tiles))
    )
    return [
        {"type": "path", "path": kernel, "line": {"color": PICK, "width": 3}},
        {
            "type": "path",
            "path": _cover(row, col, h, w),
            "xref": "x2",
            "yref": "y2",
            "fillcolor": "white",
            "line": {"width": 0},
        },
        {
            "type": "path",
            "path": _rect(row, col, 1),
            "xref": "x2",
            "yref": "y2",
            "line": {"color": PICK, "width": 3},
        },
    ]


def _buttons() -> list[dict]:
    play = [
        {
            "label": label,
            "method": "animate",
            "args": [
                None,
                {
                    "frame": {"duration": ms, "redraw": True},
                    "fromcurrent": True,
                    "mode": "immediate",
                    "transition": {"duration": 0},
                },
            ],
        }
        for label, ms in SPEEDS.items()
    ]
    pause = {
        "label": "❚❚ Pause",
        "method": "animate",
        "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}],
    }
    return [
        {
            "type": "buttons",
            "direction": "right",
            "showactive": False,
            "buttons": [*play, pause],
            "x": 0,
            "xanchor": "left",
            "y": -0.02,
            "yanchor": "top",
        }
    ]


def slide_figure(inputs: np.ndarray, out: np.ndarray, title: str) -> go.Figure:
    """inputs (C, H, W) tiled on the left, the map out (h, w) on the right, one frame per cell."""
    tiles, size = inputs.shape[0], inputs.shape[1]
    cols = 3 if tiles > 1 else 1
    grid, _ = tile(inputs, cols)
    h, w = out.shape
    heat = {"type": "heatmap", "showscale": False, "hoverinfo": "skip"}
    traces = [
        {**heat, "z": np.where(np.isnan(grid), None, grid).tolist(), "colorscale": "gray"},
        {**heat, "z": out.tolist(), "colorscale": "Viridis", "xaxis": "x2", "yaxis": "y2"},
    ]
    frames = [
        {"name": str(k), "layout": {"shapes": _shapes(k, tiles, size, cols, h, w)}}
        for k in range(h * w)
    ]
    hidden = {"visible": False, "constrain": "domain"}
    fig = figure(
        title,
        traces,
        height=360,
        x_title="",
        hovermode=False,
        margin={"l": 10, "r": 10, "t": 66, "b": 52},
        xaxis={**hidden, "domain": [0, 0.5 - GAP / 2]},
        yaxis={**hidden, "autorange": "reversed", "scaleanchor": "x"},
        xaxis2={**hidden, "domain": [0.5 + GAP / 2, 1]},
        yaxis2={**hidden, "autorange": "reversed", "scaleanchor": "x2", "anchor": "x2"},
        shapes=frames[0]["layout"]["shapes"],
        updatemenus=_buttons(),
        dragmode=False,
    )
    # unvalidated, as demo.figures.charts builds figures: Plotly's `frames` setter validates every
    # frame's layout (0.7 s for conv1's 784 frames); to_dict and to_json read `_props` as is
    fig._frame_objs = tuple(_frame(frame) for frame in frames)
    return fig


def _frame(spec: dict) -> go.Frame:
    frame = go.Frame(name=spec["name"])
    frame._props["layout"] = spec["layout"]
    return frame
