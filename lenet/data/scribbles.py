"""Seeded scribbles and hand-drawn-style digits, as the Draw page's canvas would return them.

Every picture is a 280x280 RGBA canvas, white ink on black, drawn with round PIL strokes of a
random pen width, so it goes through `lenet.data.preprocess.mnist_style` exactly like a drawing.
Scribbles (zigzags, hashes '#', filled blobs, letters, random strokes) are what a network trained
only on digits should not be sure about; the drawn digits are the honest counterpart, used to
check that a "doesn't look like a digit" signal leaves real digits alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

SIZE = 280  # the Draw page's canvas
Stroke = list[tuple[float, float]]  # points in a unit box, y down
Shape = list[Stroke]


@dataclass(frozen=True)
class Drawing:
    kind: str  # "zigzag", "hash", "blob", "letter", "random" or "digit"
    name: str  # e.g. "zigzag", "K", "7"
    canvas: np.ndarray  # (280, 280, 4) uint8 RGBA, white ink on black


def arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 24) -> Stroke:
    """Points on an ellipse; angle 0 is the top, increasing clockwise on screen."""
    angles = np.linspace(a0, a1, n)
    return [(cx + rx * math.sin(a), cy - ry * math.cos(a)) for a in angles]


LETTERS: dict[str, Shape] = {
    "A": [[(0.0, 1.0), (0.5, 0.0), (1.0, 1.0)], [(0.22, 0.6), (0.78, 0.6)]],
    "B": [
        [(0.1, 1.0), (0.1, 0.0)] + arc(0.1, 0.25, 0.7, 0.25, 0, math.pi),
        arc(0.1, 0.75, 0.85, 0.25, 0, math.pi),
    ],
    "K": [[(0.1, 0.0), (0.1, 1.0)], [(0.9, 0.0), (0.1, 0.6)], [(0.38, 0.42), (0.95, 1.0)]],
    "M": [[(0.0, 1.0), (0.08, 0.0), (0.5, 0.65), (0.92, 0.0), (1.0, 1.0)]],
    "W": [[(0.0, 0.0), (0.25, 1.0), (0.5, 0.3), (0.75, 1.0), (1.0, 0.0)]],
    "X": [[(0.0, 0.0), (1.0, 1.0)], [(1.0, 0.0), (0.0, 1.0)]],
}
LETTER_ASPECT = {"A": 0.85, "B": 0.65, "K": 0.7, "M": 1.0, "W": 1.2, "X": 0.85}

DIGITS: dict[str, Shape] = {
    "0": [arc(0.5, 0.5, 0.5, 0.5, 0, 2 * math.pi, 40)],
    "1": [[(0.5, 0.0), (0.5, 1.0)]],
    "2": [arc(0.5, 0.3, 0.5, 0.3, -1.4, 2.1) + [(0.0, 1.0), (1.0, 1.0)]],
    "3": [arc(0.45, 0.25, 0.5, 0.25, -1.4, math.pi), arc(0.45, 0.75, 0.55, 0.25, 0, 4.4)],
    "4": [[(0.65, 0.0), (0.0, 0.65), (1.0, 0.65)], [(0.7, 0.3), (0.7, 1.0)]],
    "5": [[(0.9, 0.0), (0.2, 0.0), (0.15, 0.45)] + arc(0.5, 0.7, 0.45, 0.3, -0.9, 4.3)],
    "6": [[(0.8, 0.0), (0.35, 0.25), (0.05, 0.65)] + arc(0.5, 0.72, 0.45, 0.28, -1.5, 4.7)],
    "7": [[(0.0, 0.0), (1.0, 0.0), (0.4, 1.0)]],
    "8": [arc(0.5, 0.25, 0.4, 0.25, 0, 2 * math.pi), arc(0.5, 0.75, 0.5, 0.25, 0, 2 * math.pi)],
    "9": [arc(0.5, 0.3, 0.5, 0.3, 1.6, 1.6 + 2 * math.pi), [(1.0, 0.3), (0.9, 1.0)]],
}
DIGIT_ASPECT = 0.65  # wider digits are rarer; "1" is drawn as a plain bar whatever its box


def zigzag(rng: np.random.Generator) -> Shape:
    teeth = int(rng.integers(3, 8))
    low, high = rng.uniform(0.0, 0.3), rng.uniform(0.7, 1.0)
    return [[(i / teeth, low if i % 2 == 0 else high) for i in range(teeth + 1)]]


def hash_sign(rng: np.random.Generator) -> Shape:
    slant = rng.uniform(-0.15, 0.15)
    a, b = rng.uniform(0.2, 0.4), rng.uniform(0.6, 0.8)
    return [
        [(a + slant, 0.0), (a - slant, 1.0)],
        [(b + slant, 0.0), (b - slant, 1.0)],
        [(0.0, a), (1.0, a)],
        [(0.0, b), (1.0, b)],
    ]


def random_strokes(rng: np.random.Generator) -> Shape:
    """2-4 random walks, stretched together to fill the box (a short one would read as a 1)."""
    walks = []
    for _ in range(int(rng.integers(2, 5))):
        steps = rng.normal(0, 0.25, (int(rng.integers(4, 9)), 2))
        walks.append(rng.uniform(0, 1, 2) + np.cumsum(steps, axis=0))
    low = np.min([w.min(0) for w in walks], axis=0)
    high = np.max([w.max(0) for w in walks], axis=0)
    return [[tuple(p) for p in (w - low) / np.maximum(high - low, 1e-6)] for w in walks]


def place(shape: Shape, aspect: float, rng: np.random.Generator) -> Shape:
    """Shape in canvas pixels: random size, aspect, slant, position and a little hand tremor."""
    height = rng.uniform(110, 230)
    width = height * aspect * rng.uniform(0.8, 1.2)
    if width > 230:
        height, width = height * 230 / width, 230
    angle = math.radians(rng.uniform(-12, 12))
    cos, sin = math.cos(angle), math.sin(angle)
    cx = rng.uniform(20 + width / 2, SIZE - 20 - width / 2)
    cy = rng.uniform(20 + height / 2, SIZE - 20 - height / 2)
    placed = []
    for stroke in shape:
        points = np.asarray(stroke, dtype=np.float64) - 0.5
        points = points * (width, height) + rng.normal(0, 2.5, points.shape)
        x, y = points[:, 0], points[:, 1]
        placed.append(list(zip(cx + cos * x - sin * y, cy + sin * x + cos * y, strict=True)))
    return placed


def render(strokes: Shape, pen: int, fill: bool = False) -> np.ndarray:
    """Round strokes (or one filled outline) on a black 280x280 canvas, as RGBA uint8."""
    image = Image.new("L", (SIZE, SIZE), 0)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        if fill:
            draw.polygon(stroke, fill=255)
        draw.line(stroke, fill=255, width=pen, joint="curve")
        for x, y in (stroke[0], stroke[-1]):  # round caps, as the canvas draws them
            draw.ellipse((x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2), fill=255)
    gray = np.asarray(image)
    return np.dstack([gray, gray, gray, np.full_like(gray, 255)])


def blob(rng: np.random.Generator) -> Shape:
    """An irregular polygon outline (drawn filled)."""
    corners = int(rng.integers(5, 12))
    angles = (np.arange(corners) + rng.uniform(-0.3, 0.3, corners)) * 2 * math.pi / corners
    radii = rng.uniform(0.3, 0.5, corners)
    outline = [
        (0.5 + r * math.sin(a), 0.5 - r * math.cos(a)) for a, r in zip(angles, radii, strict=True)
    ]
    return [outline + outline[:1]]


def _scribble(kind: str, rng: np.random.Generator) -> Drawing:
    pen = int(rng.integers(12, 31))
    if kind == "letter":
        name = str(rng.choice(sorted(LETTERS)))
        shape, aspect, fill = LETTERS[name], LETTER_ASPECT[name], False
    elif kind == "blob":
        shape, aspect, fill, name = blob(rng), rng.uniform(0.7, 1.3), True, "blob"
    else:
        makers: dict[str, Callable] = {
            "zigzag": zigzag,
            "hash": hash_sign,
            "random": random_strokes,
        }
        shape, aspect, fill, name = makers[kind](rng), rng.uniform(0.8, 1.3), False, kind
    return Drawing(kind, name, render(place(shape, aspect, rng), pen, fill))


SCRIBBLE_KINDS = ("zigzag", "hash", "blob", "letter", "random")


def scribbles(per_kind: int = 100, seed: int = 0) -> list[Drawing]:
    """`per_kind` scribbles of each kind in SCRIBBLE_KINDS, the same for the same seed."""
    rng = np.random.default_rng(seed)
    return [_scribble(kind, rng) for kind in SCRIBBLE_KINDS for _ in range(per_kind)]


def drawn_digits(per_digit: int = 20, seed: int = 0) -> list[Drawing]:
    """Digits 0-9 drawn with the same strokes, pens and jitter as the scribbles."""
    rng = np.random.default_rng(seed)
    drawings = []
    for name, shape in DIGITS.items():
        for _ in range(per_digit):
            pen = int(rng.integers(12, 31))
            placed = place(shape, DIGIT_ASPECT, rng)
            drawings.append(Drawing("digit", name, render(placed, pen)))
    return drawings
