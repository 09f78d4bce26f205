"""The Inspect page's smaller figures: the logits and probabilities as bars, a grid of numbers,
the clickable confusion matrix of the test set, an attribution map over the input, and the
grids of what each filter wants. The embedding's figure is `demo.figures.embedding_chart`."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from demo.figures.charts import BLUE, ORANGE, figure, image_figure
from demo.figures.inside import grid_figure


def bars_figure(values: np.ndarray, title: str, highlight: int, percent: bool = False) -> go.Figure:
    shown = 100 * values if percent else values
    bars = {
        "type": "bar",
        "x": [str(i) for i in range(len(values))],
        "y": shown.tolist(),
        "marker": {"color": [ORANGE if i == highlight else BLUE for i in range(len(values))]},
        "hovertemplate": "digit %{x}: %{y:.3f}" + ("%" if percent else "") + "<extra></extra>",
    }
    return figure(
        title,
        [bars],
        height=240,
        x_title="digit",
        hovermode="closest",
        yaxis={"ticksuffix": "%"} if percent else None,
    )


def numbers_figure(grid: np.ndarray, title: str, signed: bool, height: int = 280) -> go.Figure:
    """A small grid with each cell's value written in it."""
    limit = float(np.abs(grid).max()) or 1.0
    cells = {
        "type": "heatmap",
        "z": grid.tolist(),
        "texttemplate": "%{z:.2f}",
        "textfont": {"size": 11},
        "showscale": False,
        "xgap": 2,
        "ygap": 2,
        "colorscale": "RdBu" if signed else "gray",
        "reversescale": signed,
        "hovertemplate": "row %{y}, column %{x}: %{z:.4f}<extra></extra>",
    }
    if signed:
        cells.update(zmin=-limit, zmax=limit)
    return image_figure(title, [cells], height)


def confusion_figure(matrix: np.ndarray, chosen: tuple[int, int] | None = None) -> go.Figure:
    """Counts of (true, predicted); the diagonal dominates, so colour uses a log scale. Heatmaps
    report no clicks: a transparent square marker on each cell does, with (true, predicted,
    count) as its customdata; the chosen cell gets an orange frame."""
    digits = list(range(10))
    cells = {
        "type": "heatmap",
        "z": np.log10(matrix + 1).tolist(),
        "text": matrix.tolist(),
        "texttemplate": "%{text}",
        "colorscale": "Blues",
        "showscale": False,
        "x": digits,
        "y": digits,
        "hoverinfo": "skip",
    }
    pairs = [(t, p) for t in digits for p in digits]
    clicks = {
        "type": "scatter",
        "mode": "markers",
        "x": [p for _, p in pairs],
        "y": [t for t, _ in pairs],
        "customdata": [[t, p, int(matrix[t, p])] for t, p in pairs],
        "marker": {"symbol": "square", "size": 26, "color": "rgba(0,0,0,0)"},
        "selected": {"marker": {"color": "rgba(0,0,0,0)"}},
        "unselected": {"marker": {"opacity": 0}},
        "showlegend": False,
        "hovertemplate": "true %{customdata[0]}, predicted %{customdata[1]}: "
        "%{customdata[2]} images<br>click to see them<extra></extra>",
    }
    frame = []  # an orange frame round the chosen cell
    if chosen is not None:
        t, p = chosen
        box = {"x0": p - 0.5, "x1": p + 0.5, "y0": t - 0.5, "y1": t + 0.5}
        frame = [{"type": "rect", **box, "line": {"color": ORANGE, "width": 4}}]
    ticks = {"tickmode": "array", "tickvals": digits, "showgrid": False, "zeroline": False}
    return figure(
        "Confusion matrix: click a cell",
        [cells, clicks],
        height=420,
        x_title="predicted digit",
        y_title="true digit",
        hovermode="closest",
        xaxis=ticks,
        yaxis={**ticks, "autorange": "reversed", "title": {"text": "true digit"}},
        shapes=frame,
    )


def attribution_figure(background: np.ndarray, heat: np.ndarray, title: str) -> go.Figure:
    """A signed attribution map (red +, blue -, white 0) on a scale of its own, symmetric about
    zero, laid over the grey input, small enough for four side by side."""
    limit = float(np.abs(heat).max()) or 1.0
    base = {
        "type": "heatmap",
        "z": background.tolist(),
        "colorscale": "gray",
        "zmin": 0,
        "zmax": 1,
        "showscale": False,
        "hoverinfo": "skip",
    }
    layer = {
        "type": "heatmap",
        "z": heat.tolist(),
        "colorscale": "RdBu",
        "reversescale": True,
        "zmin": -limit,
        "zmax": limit,
        "opacity": 0.7,
        "colorbar": {"thickness": 10, "nticks": 5, "tickfont": {"size": 11}},
        "hovertemplate": "row %{y}, column %{x}: %{z:.4f}<extra></extra>",
    }
    return image_figure(title, [base, layer], 300)


def dreams_figure(images: np.ndarray, title: str, cols: int) -> go.Figure:
    """Input patches (N, side, side) in [-1, 1] as a grey grid, one per channel, each stretched so
    its strongest pixel is pure black or white (grey stays 0) and enlarged to about 28x28 squares
    by repeating pixels (pixelated on purpose); hover gives the patch's own row, column, value."""
    side = images.shape[1]
    factor = max(1, 28 // side)
    peaks = np.abs(images).max(axis=(1, 2), keepdims=True)
    shown = (images / np.where(peaks > 0, peaks, 1)).repeat(factor, 1).repeat(factor, 2)
    fig = grid_figure(shown, title, cols, "ch")  # short labels: 8 tiles fit a phone's width
    for trace in fig.data:
        where = np.array(trace.customdata)
        inside = where[..., 0] >= 0
        where[..., 1:] = np.where(inside[..., None], where[..., 1:] // factor, -1)
        values = np.where(inside, images[where[..., 0], where[..., 1], where[..., 2]], 0.0)
        trace.update(
            customdata=np.concatenate([where, values[..., None]], axis=-1).tolist(),
            zsmooth=False,
            hovertemplate="ch %{customdata[0]}, patch row %{customdata[1]}, column "
            "%{customdata[2]}: input %{customdata[3]:.2f}<extra></extra>",
        )
    fig.update_layout(coloraxis={"colorscale": "gray", "cmin": -1, "cmax": 1, "showscale": False})
    return fig


def cell_from_points(points: list[dict]) -> tuple[int, int] | None:
    """The (true, predicted) cell of the first clicked point of the confusion matrix, if any."""
    for point in points if isinstance(points, list) else []:
        if not isinstance(point, dict):
            continue
        if "customdata" in point:
            cell = point["customdata"]
        elif "x" in point and "y" in point:  # a click that reached the heatmap itself
            cell = [point["y"], point["x"]]
        else:
            continue
        if isinstance(cell, list) and len(cell) >= 2 and all(_digit(v) for v in cell[:2]):
            return int(cell[0]), int(cell[1])
    return None


def _digit(value: object) -> bool:
    """A digit 0-9 as a click reports it (an int, or a float the browser sent for one)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value == int(value)
    return ok and 0 <= value <= 9
