"""Figures for looking inside the network: feature-map and kernel grids, vector strips, PNGs.

A grid of maps is one heatmap trace (tiles separated by empty cells), not one subplot per map:
one colour scale per layer for free, and quick to draw in the browser.
"""

from __future__ import annotations

import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw

from demo.charts import BLUE, ORANGE, figure, image_figure

VIRIDIS = [
    "#440154",
    "#482878",
    "#3e4989",
    "#31688e",
    "#26828e",
    "#1f9e89",
    "#35b779",
    "#6ece58",
    "#b5de2b",
    "#fde725",
]


def tile(maps: np.ndarray, cols: int, gap: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(N, H, W) -> one array of tiles with `gap` NaN cells between them, and for each cell
    [map, row, col] (-1 in the gaps) for hover text."""
    n, h, w = maps.shape
    rows = -(-n // cols)
    grid = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan)
    where = np.full(grid.shape + (3,), -1)
    for i in range(n):
        r, c = divmod(i, cols)
        top, left = r * (h + gap), c * (w + gap)
        grid[top : top + h, left : left + w] = maps[i]
        where[top : top + h, left : left + w] = np.stack(
            [np.full((h, w), i), *np.indices((h, w))], axis=-1
        )
    return grid, where


def grid_figure(
    maps: np.ndarray,
    title: str,
    cols: int,
    label: str = "map",
    signed: bool = False,
    height: int | None = None,
    row_labels: list[str] | None = None,
) -> go.Figure:
    """Maps (N, H, W) side by side with one colour scale, each tile labelled (or, with
    `row_labels`, each row), hover values."""
    n, h, w = maps.shape
    grid, where = tile(maps, cols)
    limit = float(np.nanmax(np.abs(grid))) or 1.0
    scale = (
        {"colorscale": "RdBu", "reversescale": True, "zmin": -limit, "zmax": limit}
        if signed
        else {"colorscale": "Viridis"}
    )
    cells = {
        "type": "heatmap",
        "z": np.where(np.isnan(grid), None, grid).tolist(),
        "customdata": where.tolist(),
        "hoverongaps": False,
        **scale,
        "colorbar": {"thickness": 12, "len": 0.8},
        "hovertemplate": f"{label} %{{customdata[0]}}, row %{{customdata[1]}}, "
        "column %{customdata[2]}: %{z:.3f}<extra></extra>",
    }
    labels = [
        {
            "text": f"{label} {i}",
            "x": (i % cols) * (w + 1) + (w - 1) / 2,
            "y": (i // cols) * (h + 1) - 0.9,
            "showarrow": False,
            "font": {"size": 11},
            "yanchor": "bottom",
        }
        for i in range(n)
    ]
    if row_labels is not None:  # too many tiles for a label each: one per row, on the left
        labels = [
            {
                "text": text,
                "x": -0.8,
                "y": r * (h + 1) + (h - 1) / 2,
                "showarrow": False,
                "font": {"size": 11},
                "xanchor": "right",
            }
            for r, text in enumerate(row_labels)
        ]
    rows = -(-n // cols)
    height = height or int(90 + rows * (h + 1) * min(22, 600 / ((w + 1) * cols)))
    return image_figure(
        title, [cells], height, left=60 if row_labels else 10, top=50, annotations=labels
    )


def strip_figure(values: np.ndarray, title: str, height: int = 110) -> go.Figure:
    """A vector as one row of coloured cells (hover for each value)."""
    cells = {
        "type": "heatmap",
        "z": [values.tolist()],
        "colorscale": "Viridis",
        "colorbar": {"thickness": 10},
        "xgap": 1,
        "hovertemplate": "unit %{x}: %{z:.3f}<extra></extra>",
    }
    return figure(
        title,
        [cells],
        height=height,
        x_title="",
        hovermode="closest",
        margin={"l": 10, "r": 10, "t": 40, "b": 20},
        yaxis={"visible": False},
    )


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


DIVERGING = ["#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b"]


def _colour(values: np.ndarray, anchors_hex: list[str] = VIRIDIS) -> np.ndarray:
    """Values in [0, 1] -> RGB uint8 through the given colour anchors."""
    anchors = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in anchors_hex], float)
    position = np.nan_to_num(np.clip(values, 0, 1)) * (len(anchors) - 1)
    low = np.floor(position).astype(int).clip(0, len(anchors) - 2)
    t = (position - low)[..., None]
    return (anchors[low] * (1 - t) + anchors[low + 1] * t).astype(np.uint8)


def grid_png(
    maps: np.ndarray, cols: int, title: str, label: str = "map", zoom: int = 8, signed: bool = False
) -> bytes:
    """The same grid as a PNG (for slides, and the Train page's live view): one colour scale for
    the grid, Viridis or, when `signed`, blue-white-red centred on zero; white gaps, labels."""
    gap = max(2, -(-14 // zoom))  # room for a label above each tile
    grid, _ = tile(maps, cols, gap)
    low, high = np.nanmin(grid), np.nanmax(grid)
    if signed:
        low = -max(abs(low), abs(high))
        high = -low
    rgb = _colour((grid - low) / ((high - low) or 1.0), DIVERGING if signed else VIRIDIS)
    rgb[np.isnan(grid)] = 255
    rgb = np.kron(rgb, np.ones((zoom, zoom, 1), dtype=np.uint8))
    n, h, w = maps.shape
    top = 24 + gap * zoom  # title line, then the first row's labels
    canvas = Image.new("RGB", (rgb.shape[1] + 20, rgb.shape[0] + top + 10), "white")
    canvas.paste(Image.fromarray(rgb), (10, top))
    pen = ImageDraw.Draw(canvas)
    pen.text((10, 6), f"{title}  (colour scale {low:.2f} .. {high:.2f})", fill="black")
    for i in range(n):
        r, c = divmod(i, cols)
        pen.text(
            (10 + c * (w + gap) * zoom, top - 13 + r * (h + gap) * zoom),
            f"{label} {i}",
            fill="black",
        )
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    return out.getvalue()


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
