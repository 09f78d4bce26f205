"""The Draw page's reading as plain HTML (no Streamlit, no Plotly here): the ten probabilities as
bars, and a digit as a picture with one visible cell per pixel.

A student's every stroke redraws these, for every student in a class, on one server. As Plotly
figures they were a third of a reading's server time (benchmarks/README.md, "Where a reading's
cost goes"); as HTML they cost a small fraction of that, and still show a value under the pointer
(a pixel's, a bar's) and name what they show to a screen reader.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from demo.figures.charts import BLUE, LABEL_FROM, ORANGE  # as the Plotly probability chart

GRID_GREY = 136  # the line between two pixels: #888, as the Plotly pictures had it
PROBS_TITLE = "Probability of each digit"


def probability_bars(probabilities: Sequence[float], predicted: int | None, big: bool) -> str:
    """The ten class probabilities as bars, the predicted digit in orange; a tooltip on each."""
    size = 1.2 if big else 1.0
    bars = []
    for digit, p in enumerate(probabilities):
        colour = ORANGE if digit == predicted else BLUE
        label = f"{p:.0%}" if digit == predicted or 100 * p >= LABEL_FROM else ""
        bars.append(
            f'<div class="bar" title="digit {digit}: {p:.2%}">'
            f'<span>{label}</span><i style="height:{100 * p:.1f}%;background:{colour}"></i>'
            f"<b>{digit}</b></div>"
        )
    summary = ", ".join(f"{d}: {p:.0%}" for d, p in enumerate(probabilities))
    return (
        f"<style>{BARS_CSS}</style>"
        f'<figure class="lenet-probs" role="img" aria-label="{PROBS_TITLE}. {summary}" '
        f'style="font-size:{size}rem"><figcaption class="lenet-title">{PROBS_TITLE}</figcaption>'
        f'<div class="bars">{"".join(bars)}</div>'
        f'<div class="axis">digit; the bar\'s height is its probability (0 to 100%)</div></figure>'
    )


BARS_CSS = """
.lenet-probs { margin: 0; }
.lenet-probs figcaption { font-weight: 600; margin-bottom: .3em; }
.lenet-probs .bars { display: flex; gap: 4px; height: 210px; border-bottom: 1px solid #999;
  background: repeating-linear-gradient(to top, #eee 0 1px, transparent 1px 25%); }
.lenet-probs .bar { flex: 1; display: flex; flex-direction: column; justify-content: flex-end;
  align-items: center; position: relative; min-width: 0; }
.lenet-probs .bar span { font-size: .85em; line-height: 1.3; white-space: nowrap; }
.lenet-probs .bar i { display: block; width: 100%; min-height: 1px; }
.lenet-probs .bar b { position: absolute; bottom: -1.5em; font-weight: 400; }
.lenet-probs .axis { margin-top: 1.7em; font-size: .8em; color: rgb(92, 94, 104); }
"""


def png_url(pixels: np.ndarray) -> str:
    """A (H, W) uint8 grey image as an inline PNG: no media file for the browser to miss."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def pixel_picture(image: np.ndarray, title: str, low: float, high: float) -> str:
    """A (H, W) image on the grey scale low (black) .. high (white), ~250 px wide, a grey line
    between pixels, and each pixel's value in a tooltip (the background's on the picture)."""
    rows, cols = image.shape
    scale = max(1, 256 // cols)  # 28 -> 9 px a pixel, 32 -> 8: 252 and 256 px wide
    grey = (np.clip((image - low) / (high - low), 0.0, 1.0) * 255).round().astype(np.uint8)
    big = np.kron(grey, np.ones((scale, scale), np.uint8))
    big[scale - 1 :: scale, :] = big[:, scale - 1 :: scale] = GRID_GREY  # the lines between
    url = png_url(big)
    # a tooltip a pixel: the commonest value (the background) on the picture, the others each
    # on their own cell of a grid laid over it (SVG would be simpler: st.html allows only HTML)
    values, counts = np.unique(image, return_counts=True)
    background = float(values[counts.argmax()])
    ys, xs = np.nonzero(image != background)
    cells = "".join(
        f'<i style="grid-area:{y + 1}/{x + 1}" title="row {y}, column {x}: {image[y, x]:.2f}"></i>'
        for y, x in zip(ys.tolist(), xs.tolist(), strict=True)
    )
    name = html.escape(title)
    return (
        f'<figure style="margin:0"><figcaption class="lenet-title" '
        f'style="font-weight:600;margin-bottom:.3em">{name}</figcaption>'
        f'<div style="position:relative;width:{cols * scale}px;max-width:100%">'
        f'<img src="{url}" style="display:block;width:100%;image-rendering:pixelated" '
        f'alt="{name}: {rows} by {cols} pixels, {low:g} black to {high:g} white">'
        f'<div title="{background:.2f} (the background)" style="position:absolute;inset:0;'
        f'display:grid;grid-template:repeat({rows},1fr)/repeat({cols},1fr)">{cells}</div>'
        f"</div></figure>"
    )
