"""A run's timeline as an animated GIF for slides: one 1280x720 frame per snapshot.

Each frame shows "step N of M · epoch E", the six conv1 kernels over the digit's six conv1 maps,
the sixteen conv2 filters (one column each: its six 5x5 kernels, one per conv1 map it reads) over
the digit's sixteen conv2 maps, and the ten probabilities. Every view keeps one colour scale for
the whole run, so what grows or fades between frames really does. The forward passes run once,
for all snapshots, before any frame is drawn.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from lenet.config import ModelConfig
from lenet.data.preprocess import digit_to_input
from lenet.explain.features import feature_maps
from lenet.timeline.snapshots import Timeline

WIDTH, HEIGHT = 1280, 720  # a 16:9 slide
FRAME_MS, LAST_MS = 200, 1500
LEFT, RIGHT = 24, 380  # x of the left panel (digit, probabilities) and of the right one
RIGHT_W = WIDTH - RIGHT - 24
INK, MUTED, RULE = (33, 33, 33), (100, 100, 100), (225, 225, 225)
BLUE, ORANGE = (31, 119, 180), (255, 127, 14)  # the app's bars: the predicted digit orange
DIVERGING = ["#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b"]
VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e"]
VIRIDIS += ["#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"]
# (y, zoom) of each view; conv1 has 6 columns in the right panel, conv2 16
KERNEL1, MAP1 = (124, 14), (204, 4)
KERNEL2, MAP2 = (390, 7), (618, 5)
DIGIT = (124, 8)
BARS_Y, BAR_ROW, BAR_MAX = 402, 31, 190


@dataclass(frozen=True)
class Views:
    """What the frames show, for every snapshot at once (S snapshots)."""

    kernels1: np.ndarray  # (S, 6, 5, 5)
    kernels2: np.ndarray  # (S, 16, 6, 5, 5)
    maps1: np.ndarray  # (S, 6, 28, 28)
    maps2: np.ndarray  # (S, 16, 10, 10)
    probabilities: np.ndarray  # (S, 10)


def timeline_views(timeline: Timeline, config: ModelConfig, digit: np.ndarray) -> Views:
    """Kernels, the digit's maps and probabilities at each snapshot: one forward pass each."""
    x = digit_to_input(digit)  # (1, 1, 32, 32), as the app prepares a digit
    parts: dict[str, list[np.ndarray]] = {k: [] for k in Views.__dataclass_fields__}
    for index in range(len(timeline)):
        model = timeline.model(index, config)
        maps = feature_maps(model, x)
        parts["kernels1"].append(model.conv1.weight.detach()[:, 0].numpy())
        parts["kernels2"].append(model.conv2.weight.detach().numpy())
        parts["maps1"].append(maps["conv1"][0].numpy())
        parts["maps2"].append(maps["conv2"][0].numpy())
        parts["probabilities"].append(maps["probabilities"][0].numpy())
    return Views(**{k: np.stack(v) for k, v in parts.items()})


def font(px: int) -> ImageFont.FreeTypeFont:
    """Pillow's own scalable font (Aileron), as the app's PNGs use: no system font needed."""
    return ImageFont.load_default(size=px)


def colour(values: np.ndarray, low: float, high: float, anchors: list[str]) -> np.ndarray:
    """Values -> RGB uint8 through colour anchors, `low`..`high` spanning the whole scale."""
    rgb = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in anchors], float)
    position = np.clip((values - low) / ((high - low) or 1.0), 0, 1) * (len(rgb) - 1)
    below = np.floor(position).astype(int).clip(0, len(rgb) - 2)
    t = (position - below)[..., None]
    return (rgb[below] * (1 - t) + rgb[below + 1] * t).astype(np.uint8)


def signed(values: np.ndarray) -> tuple[np.ndarray, float]:
    """Blue below zero, red above, one scale (±the largest size) for all snapshots."""
    limit = float(np.abs(values).max()) or 1.0
    return colour(values, -limit, limit, DIVERGING), limit


def paste(frame: np.ndarray, rgb: np.ndarray, x: int, y: int, zoom: int) -> None:
    """Put one (h, w, 3) tile into the frame, each value a zoom x zoom block."""
    h, w = rgb.shape[:2]
    frame[y : y + h * zoom, x : x + w * zoom] = rgb.repeat(zoom, 0).repeat(zoom, 1)


def column_x(count: int, index: int, tile: int) -> int:
    """x of a tile centred in column `index` of `count` across the right panel."""
    width = RIGHT_W / count
    return int(RIGHT + width * index + (width - tile) / 2)


def fitted(text: str, face: ImageFont.FreeTypeFont, width: int = RIGHT - LEFT - 12) -> str:
    """`text`, cut short with an ellipsis to fit `width` pixels."""
    while face.getlength(text) > width and len(text) > 1:
        text = text[:-2] + "…"
    return text


def base_frame(digit: np.ndarray, limits: tuple[float, float], source: str) -> Image.Image:
    """What every frame shares: titles, column labels, the digit, the colour-scale note."""
    frame = Image.new("RGB", (WIDTH, HEIGHT), "white")
    pen = ImageDraw.Draw(frame)
    title, small = font(24), font(18)
    pen.line([(0, 72), (WIDTH, 72)], fill=RULE, width=2)
    pen.text(
        (LEFT, 86),
        fitted("the digit" + (f": {source}" if source else ""), title),
        fill=INK,
        font=title,
    )
    pen.text((LEFT, BARS_Y - 38), "what the network reads", fill=INK, font=title)
    pen.text((RIGHT, 86), "conv1: 6 filters (5x5) and the digit's 6 maps", fill=INK, font=title)
    pen.text(
        (RIGHT, KERNEL2[0] - 62),
        "conv2: 16 filters (a column each: 6 kernels, one per conv1 map) and 16 maps",
        fill=INK,
        font=title,
    )
    for i in range(16):
        pen.text((column_x(16, i, 0), KERNEL2[0] - 6), str(i), fill=MUTED, font=small, anchor="md")
    note = (
        f"filters: blue negative, red positive (conv1 ±{limits[0]:.2f}, conv2 ±{limits[1]:.2f})\n"
        "maps: dark low, yellow high · one colour scale for the whole run"
    )
    pen.multiline_text((WIDTH - 24, 14), note, fill=MUTED, font=small, anchor="ra", align="right")
    y, zoom = DIGIT
    grey = (np.clip(digit, 0, 1) * 255).astype(np.uint8)
    frame.paste(Image.fromarray(grey).convert("RGB").resize((28 * zoom,) * 2, 0), (LEFT + 40, y))
    return frame


def draw_tiles(frame: np.ndarray, views: Views, tiles: dict[str, np.ndarray], i: int) -> None:
    """Paste snapshot i's kernels and maps (already coloured) into the frame."""
    for c in range(6):
        paste(frame, tiles["kernels1"][i, c], column_x(6, c, 5 * KERNEL1[1]), *KERNEL1)
        paste(frame, tiles["maps1"][i, c], column_x(6, c, 28 * MAP1[1]), *MAP1)
    y, zoom = KERNEL2
    for f in range(16):
        x = column_x(16, f, 5 * zoom)
        for k in range(6):
            paste(frame, tiles["kernels2"][i, f, k], x, y + k * (5 * zoom + 2), zoom)
        paste(frame, tiles["maps2"][i, f], column_x(16, f, 10 * MAP2[1]), *MAP2)


def draw_text(frame: Image.Image, timeline: Timeline, probabilities: np.ndarray, i: int) -> None:
    """The header, a progress line through the run and the probability bars."""
    pen, snapshot = ImageDraw.Draw(frame), timeline.snapshots[i]
    total = max(timeline.total_steps, 1)
    header = f"step {snapshot.step:,} of {timeline.total_steps:,} · epoch {snapshot.epoch:.2f}"
    pen.text((LEFT, 14), header, fill=INK, font=font(38))
    pen.rectangle([0, 68, int(WIDTH * min(snapshot.step / total, 1)), 72], fill=ORANGE)
    predicted, label, percent = int(probabilities.argmax()), font(26), font(24)
    for d, p in enumerate(probabilities):
        y = BARS_Y + d * BAR_ROW
        best = d == predicted
        pen.text((LEFT + 10, y), str(d), fill=INK if best else MUTED, font=label)
        end = LEFT + 44 + max(2, int(BAR_MAX * float(p)))
        pen.rectangle([LEFT + 44, y + 5, end, y + BAR_ROW - 5], fill=ORANGE if best else BLUE)
        if best:
            pen.text((end + 8, y + 1), f"{p:.1%}", fill=INK, font=percent)


def coloured(views: Views) -> tuple[dict[str, np.ndarray], tuple[float, float]]:
    """Every kernel and map as RGB tiles, on the run-wide scales; the two kernel limits."""
    kernels1, limit1 = signed(views.kernels1)
    kernels2, limit2 = signed(views.kernels2)
    tiles = {"kernels1": kernels1, "kernels2": kernels2}
    for name in ("maps1", "maps2"):
        maps = getattr(views, name)
        tiles[name] = colour(maps, float(maps.min()), float(maps.max()), VIRIDIS)
    return tiles, (limit1, limit2)


def timeline_frames(
    timeline: Timeline, config: ModelConfig, digit: np.ndarray, source: str = ""
) -> list[Image.Image]:
    """The animation's frames (RGB), one per snapshot."""
    if len(timeline) == 0:
        raise ValueError("the timeline has no snapshots to draw")
    views = timeline_views(timeline, config, digit)
    tiles, limits = coloured(views)
    base = np.asarray(base_frame(digit, limits, source))
    frames = []
    for i in range(len(timeline)):
        pixels = base.copy()
        draw_tiles(pixels, views, tiles, i)
        frame = Image.fromarray(pixels)
        draw_text(frame, timeline, views.probabilities[i], i)
        frames.append(frame)
    return frames


def shared_palette(frames: list[Image.Image], samples: int = 6) -> Image.Image:
    """One adaptive 255-colour palette for the whole animation, from a few frames spread over
    it: a palette per frame shifted still colours from frame to frame (flicker) and cost 2x the
    bytes and 3x the time."""
    picked = [frames[i] for i in np.linspace(0, len(frames) - 1, samples).round().astype(int)]
    montage = Image.new("RGB", (WIDTH, HEIGHT * len(picked)))
    for index, frame in enumerate(picked):
        montage.paste(frame, (0, HEIGHT * index))
    return montage.quantize(255, Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)


def timeline_gif(
    timeline: Timeline, config: ModelConfig, digit: np.ndarray, source: str = ""
) -> bytes:
    """The timeline as GIF bytes: one frame per snapshot, 200 ms each, the last held 1.5 s,
    looping forever. `digit`: (28, 28) in [0, 1], light ink on dark as MNIST's."""
    rgb = timeline_frames(timeline, config, digit, source)
    palette = shared_palette(rgb)
    # undithered: flat tiles stay flat, and pixels that do not change stay the same index
    frames = [frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in rgb]
    durations = [FRAME_MS] * (len(frames) - 1) + [LAST_MS]
    out = io.BytesIO()
    frames[0].save(
        out, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0
    )
    return out.getvalue()
