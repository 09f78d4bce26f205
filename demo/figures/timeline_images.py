"""What one moment of a run's training timeline shows: conv1's kernels, conv2's filters, and one
digit's conv1 and conv2 maps as PNGs (a few kB each, cheap to send and to paint, unlike Plotly
heatmaps), with the digit's ten probabilities; the filters on one colour scale for the whole
run. No Streamlit here: the Train page caches these per (run, step, digit) in
`demo.views.train.timeline_views`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from demo.figures.inside import DIVERGING, grid_png, to_rgb
from lenet.config import ModelConfig
from lenet.data.preprocess import digit_to_input
from lenet.explain.features import feature_maps
from lenet.model import LeNet5
from lenet.timeline.snapshots import Timeline, state_dict_of


@dataclass(frozen=True)
class StepViews:
    """The pictures and numbers of one snapshot for one digit."""

    kernels: bytes  # PNG: conv1's 6 kernels
    filters: bytes  # PNG: conv2's 16 filters, each a column of 6 kernels
    conv1: bytes  # PNG: the digit's 6 conv1 maps
    conv2: bytes  # PNG: the digit's 16 conv2 maps
    probabilities: tuple[float, ...]  # softmax, digits 0-9

    @property
    def predicted(self) -> int:
        return int(np.argmax(self.probabilities))


def weight_limits(timeline: Timeline, config: ModelConfig) -> tuple[float, float]:
    """The largest |weight| of conv1 and of conv2 over the whole timeline: one colour scale for
    every step, so the filters are seen to grow from their faint random start (as in the GIF)."""
    conv1 = conv2 = 0.0
    for snapshot in timeline.snapshots:
        weights = state_dict_of(snapshot.weights, config)
        conv1 = max(conv1, float(weights["conv1.weight"].abs().max()))
        conv2 = max(conv2, float(weights["conv2.weight"].abs().max()))
    return conv1 or 1.0, conv2 or 1.0


def step_views(
    model: LeNet5, digit: np.ndarray, limits: tuple[float, float] | None = None
) -> StepViews:
    """The views of `model` (a snapshot's weights) for a 28x28 digit in [0, 1]; the filters on
    the colour scales `limits` (conv1, conv2) when given, else their own."""
    maps = feature_maps(model, digit_to_input(digit))
    kernels = model.conv1.weight.detach()[:, 0].numpy()  # (6, 5, 5)
    filters = model.conv2.weight.detach().numpy()  # (16, 6, 5, 5)
    conv1_limit, conv2_limit = limits or (None, None)
    return StepViews(
        kernels=grid_png(
            kernels, 3, "conv1 kernels", "kernel", zoom=10, signed=True, limit=conv1_limit
        ),
        filters=filters_png(filters, "conv2 filters", limit=conv2_limit),
        conv1=grid_png(maps["conv1"][0].numpy(), 3, "conv1 maps", zoom=3),
        conv2=grid_png(maps["conv2"][0].numpy(), 4, "conv2 maps", zoom=5, font_px=14),
        probabilities=tuple(float(p) for p in maps["probabilities"][0]),
    )


def filters_png(
    filters: np.ndarray, title: str, zoom: int = 4, font_px: int = 14, limit: float | None = None
) -> bytes:
    """conv2's weights (16, 6, 5, 5) as one PNG: filter k is row k, its kernel for conv1 map i
    is column i (as on Inspect); one blue-white-red scale centred on zero; white gaps; numbered
    rows and columns. Compact where Inspect's 96 labelled tiles would not fit beside the rest."""
    count, inputs, h, w = filters.shape
    limit = limit or float(np.abs(filters).max()) or 1.0
    rgb = to_rgb(np.clip((filters + limit) / (2 * limit), 0.0, 1.0), DIVERGING)  # (16, 6, 5, 5, 3)
    font = ImageFont.load_default(size=font_px)
    title = f"{title}  (colour scale {-limit:.2f} .. {limit:.2f})"
    cell_x, cell_y = w * zoom + 12, h * zoom + 3
    left, top = int(font.getlength("15")) + 24, 2 * font_px + 18  # row numbers; title, header
    width = max(left + inputs * cell_x, int(font.getlength(title)) + 20) + 6
    canvas = Image.new("RGB", (width, top + count * cell_y + 4), "white")
    pen = ImageDraw.Draw(canvas)
    pen.text((10, 6), title, fill="black", font=font)
    for i in range(inputs):
        x = left + i * cell_x + (w * zoom) / 2
        pen.text((x, top - 4), f"in {i}", fill="#444", font=font, anchor="ms")
    for k in range(count):
        y = top + k * cell_y
        pen.text((left - 8, y + (h * zoom) / 2), str(k), fill="black", font=font, anchor="rm")
        for i in range(inputs):
            tile = Image.fromarray(rgb[k, i]).resize((w * zoom, h * zoom), Image.NEAREST)
            canvas.paste(tile, (left + i * cell_x, y))
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    return out.getvalue()
