"""What streamlit-drawable-canvas 0.13 sends for a freehand drawing, made in Python.

The browser's canvas (fabric.js `PencilBrush`, white, round caps and joins, on a transparent
layer over the black background) sends `{"drawing": {"raw": fabric JSON, "data": PNG data URL}}`
200 ms after the pen lifts. Here the same mouse path that `benchmarks/draw_speed.draw` moves
(each segment in 7 steps) becomes fabric's smoothed path (a quadratic curve through the
midpoints) and is rasterised with 4x supersampling, so the light client sends what Chromium does.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

SIZE = 280
PEN_WIDTH = 20  # the Draw page's "Pen width" slider default (demo/views/draw/page.py)
SUPERSAMPLE = 4
STEPS = 7  # mouse moves per segment, as benchmarks/draw_speed.draw makes them
# what the canvas reports once its black background image is loaded
BACKGROUND_FIT = {
    "naturalWidth": SIZE,
    "naturalHeight": SIZE,
    "scaleX": 1,
    "scaleY": 1,
    "offsetX": 0,
    "offsetY": 0,
}


def mouse_points(stroke: list) -> list[tuple[float, float]]:
    """The points the mouse passes through: the first, then STEPS per segment."""
    points = [tuple(map(float, stroke[0]))]
    for (x0, y0), (x1, y1) in zip(stroke, stroke[1:], strict=False):
        for t in np.linspace(0, 1, STEPS + 1)[1:]:
            points.append((x0 + t * (x1 - x0), y0 + t * (y1 - y0)))
    return points


def fabric_path(points: list[tuple[float, float]]) -> list[list]:
    """fabric.js's freehand path: M first, Q through each point to the next midpoint, L last."""
    path: list[list] = [["M", *points[0]]]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        path.append(["Q", x0, y0, (x0 + x1) / 2, (y0 + y1) / 2])
    path.append(["L", *points[-1]])
    return [[op, *(round(float(v), 4) for v in args)] for op, *args in path]


def path_polyline(path: list[list], samples: int = 8) -> list[tuple[float, float]]:
    """The path's curves as a dense polyline."""
    x, y = path[0][1], path[0][2]
    out = [(x, y)]
    for op, *args in path[1:]:
        if op == "Q":
            cx, cy, ex, ey = args
            for t in np.linspace(0, 1, samples + 1)[1:]:
                out.append(
                    (
                        (1 - t) ** 2 * x + 2 * (1 - t) * t * cx + t * t * ex,
                        (1 - t) ** 2 * y + 2 * (1 - t) * t * cy + t * t * ey,
                    )
                )
            x, y = ex, ey
        else:
            x, y = args
            out.append((x, y))
    return out


def rasterise(paths: list[list[list]], width: int = PEN_WIDTH) -> np.ndarray:
    """(280, 280, 4) RGBA: white ink, alpha = coverage, transparent elsewhere."""
    big = Image.new("L", (SIZE * SUPERSAMPLE, SIZE * SUPERSAMPLE), 0)
    pen = ImageDraw.Draw(big)
    radius = width * SUPERSAMPLE / 2
    for path in paths:
        line = [(x * SUPERSAMPLE, y * SUPERSAMPLE) for x, y in path_polyline(path)]
        pen.line(line, fill=255, width=width * SUPERSAMPLE, joint="curve")
        for x, y in (line[0], line[-1]):  # round caps
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    alpha = np.asarray(big.reduce(SUPERSAMPLE))
    rgba = np.zeros((SIZE, SIZE, 4), dtype=np.uint8)
    rgba[..., :3] = 255 * (alpha[..., None] > 0)
    rgba[..., 3] = alpha
    return rgba


def path_object(path: list[list], width: int) -> dict:
    """A fabric.js Path object as the canvas's JSON carries it (the fields the app reads)."""
    xs = [v for step in path for v in step[1::2]]
    ys = [v for step in path for v in step[2::2]]
    return {
        "type": "Path",
        "version": "7.4.0",
        "originX": "center",
        "originY": "center",
        "left": (min(xs) + max(xs)) / 2,
        "top": (min(ys) + max(ys)) / 2,
        "width": max(xs) - min(xs),
        "height": max(ys) - min(ys),
        "fill": None,
        "stroke": "#FFFFFF",
        "strokeWidth": width,
        "strokeLineCap": "round",
        "strokeLineJoin": "round",
        "scaleX": 1,
        "scaleY": 1,
        "opacity": 1,
        "path": path,
    }


def png_data_url(rgba: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@lru_cache(maxsize=32)
def _drawing(strokes: tuple, width: int) -> tuple[list, str]:
    paths = [fabric_path(mouse_points(list(stroke))) for stroke in strokes]
    return [path_object(p, width) for p in paths], png_data_url(rasterise(paths, width))


def canvas_state(strokes: list, width: int = PEN_WIDTH) -> dict:
    """The canvas component's whole state after drawing `strokes` (canvas pixels)."""
    key = tuple(tuple(tuple(map(float, p)) for p in stroke) for stroke in strokes)
    objects, data = _drawing(key, width)
    raw = {"version": "7.4.0", "objects": objects}
    return {"backgroundFit": BACKGROUND_FIT, "drawing": {"raw": raw, "data": data}}


def decode_png(data_url: str) -> np.ndarray:
    """The RGBA array of a canvas PNG data URL."""
    raw = base64.b64decode(data_url.split(";base64,", 1)[1])
    return np.asarray(Image.open(io.BytesIO(raw)).convert("RGBA"))
