"""Figures for looking inside the network: feature-map and kernel grids, vector strips, PNGs.

A grid of maps is one heatmap trace per row of tiles (tiles separated by empty cells), not one
subplot per map: quick to draw in the browser, one colour axis for the whole grid, and a band of
fixed pixels between rows where the labels go.
"""

from __future__ import annotations

import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw, ImageFont

from demo.figures.charts import TOP, figure, image_figure

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


LABEL_BAND = 20  # px above each row of tiles for their labels


def _row_axes(rows: int, plot_px: float, band: float) -> dict:
    """One y axis per row of tiles, `band` px apart at any width (the chart's height is fixed):
    the row sits at the top of its own domain when the width is what limits the cells."""
    row = (plot_px - (rows - 1) * band) / rows
    axes = {}
    for k in range(rows):
        top = 1 - k * (row + band) / plot_px
        axes[f"yaxis{k + 1 if k else ''}"] = {
            "visible": False,
            "autorange": "reversed",
            "scaleanchor": "x",
            "constrain": "domain",
            "constraintoward": "top",
            "domain": [max(0.0, top - row / plot_px), top],
        }
    return axes


def _axis(row: int) -> str:
    """The y axis of a row of tiles, by Plotly's name for it ("y", "y2", ...)."""
    return f"y{row + 1}" if row else "y"


def _labels(n: int, cols: int, h: int, w: int, label: str, row_labels: list[str] | None):
    """Each tile's label just above it, or with `row_labels` one label left of each row."""
    if row_labels is not None:
        return [
            {"text": text, "x": -0.8, "xanchor": "right", "y": (h - 1) / 2, "yref": _axis(r)}
            for r, text in enumerate(row_labels)
        ]
    return [
        {
            "text": f"{label} {i}".strip(),  # an empty label: the number alone
            "x": (i % cols) * (w + 1) + (w - 1) / 2,
            "y": -0.5,  # the top edge of the row (its axis is reversed)
            "yref": _axis(i // cols),
            "yanchor": "bottom",
            "yshift": 2,
        }
        for i in range(n)
    ]


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
    `row_labels`, each row), hover values. Each row of tiles is its own heatmap on its own y
    axis, so the labels sit in a fixed band of pixels between rows, never on a tile."""
    n, h, w = maps.shape
    rows = -(-n // cols)
    band = 6 if row_labels else LABEL_BAND
    top = TOP + (0 if row_labels else LABEL_BAND - 6)
    cell = min(22, 900 / ((w + 1) * cols))
    height = height or int(top + 10 + rows * h * cell + (rows - 1) * band)
    limit = float(np.abs(maps).max()) or 1.0
    colours = {"colorscale": "RdBu", "reversescale": True, "cmin": -limit, "cmax": limit}
    traces = []
    for r in range(rows):
        grid, where = tile(maps[r * cols : (r + 1) * cols], cols)
        where[..., 0] = np.where(where[..., 0] >= 0, where[..., 0] + r * cols, -1)
        traces.append(
            {
                "type": "heatmap",
                "z": np.where(np.isnan(grid), None, grid).tolist(),
                "customdata": where.tolist(),
                "hoverongaps": False,
                "coloraxis": "coloraxis",
                "yaxis": f"y{r + 1 if r else ''}",
                "hovertemplate": f"{label} %{{customdata[0]}}, row %{{customdata[1]}}, "
                "column %{customdata[2]}: %{z:.3f}<extra></extra>",
            }
        )
    notes = [
        {"showarrow": False, "font": {"size": 12, "color": "#444"}, **note}
        for note in _labels(n, cols, h, w, label, row_labels)
    ]
    colorbar = {"thickness": 14, "len": 1, "tickfont": {"size": 12}, "nticks": 5}
    return image_figure(
        title,
        traces,
        height,
        left=70 if row_labels else 10,
        top=top,
        annotations=notes,
        coloraxis={**(colours if signed else {"colorscale": "Viridis"}), "colorbar": colorbar},
        **_row_axes(rows, height - top - 10, band),
    )


GAPPED_CELLS = 150


def strip_figure(values: np.ndarray, title: str, height: int = 150) -> go.Figure:
    """A vector as one row of coloured cells (hover for each value), its colour bar lying
    below it: standing beside a 40 px strip, the bar's numbers ran into each other."""
    cells = {
        "type": "heatmap",
        "z": [values.tolist()],
        "colorscale": "Viridis",
        "colorbar": {
            "orientation": "h",
            "thickness": 10,
            "len": 260,
            "lenmode": "pixels",
            "x": 1,
            "xanchor": "right",
            "y": 0,
            "yref": "container",
            "yanchor": "bottom",
            "ypad": 6,
            "tickfont": {"size": 12},
            "nticks": 6,
        },
        # a 1 px gap between cells, but not for long vectors: on a phone 400 cells are under
        # 1 px each, and the gaps left nothing of them
        "xgap": 1 if len(values) <= GAPPED_CELLS else 0,
        "hovertemplate": "unit %{x}: %{z:.3f}<extra></extra>",
    }
    return figure(
        title,
        [cells],
        height=height,
        x_title="",
        hovermode="closest",
        margin={"l": 10, "r": 10, "t": TOP, "b": 62},
        yaxis={"visible": False},
    )


DIVERGING = ["#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b"]


def to_rgb(values: np.ndarray, anchors_hex: list[str] = VIRIDIS) -> np.ndarray:
    """Values in [0, 1] -> RGB uint8 through the given colour anchors."""
    anchors = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in anchors_hex], float)
    position = np.nan_to_num(np.clip(values, 0, 1)) * (len(anchors) - 1)
    low = np.floor(position).astype(int).clip(0, len(anchors) - 2)
    t = (position - low)[..., None]
    return (anchors[low] * (1 - t) + anchors[low + 1] * t).astype(np.uint8)


def grid_png(
    maps: np.ndarray,
    cols: int,
    title: str,
    label: str = "map",
    zoom: int = 8,
    signed: bool = False,
    font_px: int = 16,
    limit: float | None = None,
) -> bytes:
    """The same grid as a PNG (for slides, and the Train page's live view): one colour scale for
    the grid, Viridis or, when `signed`, blue-white-red centred on zero (from -`limit` to `limit`
    when given: one scale for several grids); white gaps; a title line and tile labels in
    `font_px` text, each label in its own band above its tile."""
    n, h, w = maps.shape
    low, high = float(np.nanmin(maps)), float(np.nanmax(maps))
    if signed:
        largest = limit or max(abs(low), abs(high))
        low, high = -largest, largest
    scaled = np.clip((maps - low) / ((high - low) or 1.0), 0.0, 1.0)
    rgb = to_rgb(scaled, DIVERGING if signed else VIRIDIS)
    font = ImageFont.load_default(size=font_px)
    title = f"{title}  (colour scale {low:.2f} .. {high:.2f})"
    band = font_px + 6  # a label line above each row of tiles
    step_x = max(w * zoom, int(font.getlength(f"{label} {n - 1}"))) + font_px // 2
    step_y = band + h * zoom + 6
    rows = -(-n // cols)
    top = font_px + 14  # the title line
    width = max(cols * step_x, int(font.getlength(title))) + 20
    canvas = Image.new("RGB", (width, top + rows * step_y + 4), "white")
    pen = ImageDraw.Draw(canvas)
    pen.text((10, 6), title, fill="black", font=font)
    for i in range(n):
        r, c = divmod(i, cols)
        x, y = 10 + c * step_x, top + r * step_y
        pen.text((x, y), f"{label} {i}", fill="black", font=font)
        picture = Image.fromarray(rgb[i]).resize((w * zoom, h * zoom), Image.Resampling.NEAREST)
        canvas.paste(picture, (x, y + band))
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    return out.getvalue()
