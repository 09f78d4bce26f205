"""The Inspect page's smaller figures: the logits and probabilities as bars, a grid of numbers,
a saliency map over the digit, and the confusion matrix of the test set."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from demo.charts import BLUE, ORANGE, figure, image_figure


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


def numbers_figure(grid: np.ndarray, title: str, signed: bool) -> go.Figure:
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
    return image_figure(title, [cells], 280)


def overlay_figure(digit: np.ndarray, heat: np.ndarray, title: str) -> go.Figure:
    """A signed heat map (red +, blue -) laid over the grey digit."""
    limit = float(np.abs(heat).max()) or 1.0
    base = {
        "type": "heatmap",
        "z": digit.tolist(),
        "colorscale": "gray",
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
        "opacity": 0.65,
        "colorbar": {"thickness": 12},
        "hovertemplate": "row %{y}, column %{x}: %{z:.3f}<extra></extra>",
    }
    return image_figure(title, [base, layer], 360)


def confusion_figure(matrix: np.ndarray) -> go.Figure:
    """Counts of (true, predicted); the diagonal dominates, so colour uses a log scale."""
    cells = {
        "type": "heatmap",
        "z": np.log10(matrix + 1).tolist(),
        "text": matrix.tolist(),
        "texttemplate": "%{text}",
        "colorscale": "Blues",
        "showscale": False,
        "x": [str(d) for d in range(10)],
        "y": [str(d) for d in range(10)],
        "hovertemplate": "true %{y}, predicted %{x}: %{text} images<extra></extra>",
    }
    return figure(
        "Confusion matrix",
        [cells],
        height=420,
        x_title="predicted digit",
        y_title="true digit",
        hovermode="closest",
        yaxis={"autorange": "reversed", "title": {"text": "true digit"}},
    )
