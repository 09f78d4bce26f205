"""Any drawing or photo of one digit -> the 28x28 MNIST-style digit -> the model input.

MNIST's digits were made this way, so a drawing must be too or off-centre and small digits fail:
1. grayscale; a picture with transparency is composited over the shade its opaque (drawn)
   pixels are not: white canvas strokes over black, black ink over white; a picture larger
   than WORK px is reduced to fit (antialiased), so a 12 MP photo costs what a small one does;
2. ink polarity: if the border is light (paper), invert so the ink is light on dark;
3. background removed (the median level) and contrast stretched to [0, 1];
4. crop to the ink's bounding box; thicken strokes that would end up thinner than MNIST's
   (about 2.5 px of 20) once scaled, so a thin pen still looks like MNIST's;
5. scale the longer side to 20 px, keeping the aspect ratio (antialiased);
6. paste into 28x28 so the centre of mass sits at the centre (14, 14);
7. the training transform: resize to 32x32, normalise to [-1, 1].
Blank or near-blank input (no ink, or a speck) gives None rather than a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from lenet.data.mnist import to_model_input

DIGIT_BOX = 20  # MNIST: the digit's longer side after scaling
CANVAS = 28
INK_LEVEL = 0.2  # a pixel is ink above this fraction of the brightest ink
MIN_EXTENT = 0.08  # ink spanning less than this fraction of the picture is a speck, not a digit
STROKE = 2.5  # MNIST's typical stroke width, in pixels of the 20 px box
WORK = 280  # pictures are processed at most this big: the Draw page's canvas, 10x MNIST's 28
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass(frozen=True)
class Prepared:
    digit: np.ndarray  # (28, 28) float32 in [0, 1], light ink on dark: "what the network sees"
    model_input: torch.Tensor  # (1, 1, 32, 32) float32 in [-1, 1]


def to_grayscale(image: np.ndarray | Image.Image) -> np.ndarray:
    """(H, W) float32 in [0, 1] from a PIL image or an (H, W), (H, W, 3) or (H, W, 4) array."""
    if isinstance(image, Image.Image):
        transparent = "A" in image.getbands() or image.has_transparency_data
        image = np.asarray(image.convert("RGBA" if transparent else "L"))
    array = np.asarray(image, dtype=np.float32)
    if array.max(initial=0) > 1.0:
        array = array / 255.0
    if array.ndim == 2:
        return array
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ValueError(f"expected a grayscale, RGB or RGBA image, got shape {array.shape}")
    gray = array[..., :3] @ LUMA
    if array.shape[2] == 4:
        alpha = array[..., 3]
        gray = gray * alpha + backdrop(gray, alpha) * (1 - alpha)
    return gray


def backdrop(gray: np.ndarray, alpha: np.ndarray) -> float:
    """The shade to composite over: black under light drawn pixels, white under dark ones."""
    drawn = alpha.sum()
    if drawn == 0 or alpha.min() == 1:
        return 0.0
    return 0.0 if (gray * alpha).sum() / drawn >= 0.5 else 1.0


def shrink(gray: np.ndarray, size: int = WORK) -> np.ndarray:
    """Reduce so the longer side is at most `size` px (antialiased); smaller ones stay as is."""
    h, w = gray.shape
    if max(h, w) <= size:
        return gray
    scale = size / max(h, w)
    new = (max(1, round(h * scale)), max(1, round(w * scale)))
    x = torch.from_numpy(np.ascontiguousarray(gray))[None, None]
    return F.interpolate(x, size=new, mode="area")[0, 0].numpy()


def normalise_ink(gray: np.ndarray) -> np.ndarray:
    """Light ink on a zero background, stretched to [0, 1]."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.median(border) > 0.5:
        gray = 1.0 - gray
    ink = np.clip(gray - np.median(gray), 0.0, None)
    peak = ink.max(initial=0.0)
    return ink / peak if peak > 0.05 else np.zeros_like(ink)


def ink_box(ink: np.ndarray, min_extent: float = MIN_EXTENT) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the ink, exclusive ends; None for blank or a speck."""
    rows, cols = np.nonzero(ink > INK_LEVEL)
    if len(rows) == 0:
        return None
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    if max(bottom - top, right - left) < min_extent * max(ink.shape):
        return None
    return int(top), int(bottom), int(left), int(right)


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width in pixels: a stroke of width w and length L has area wL, edge ~2L."""
    mask = ink > INK_LEVEL
    inner = mask.copy()
    inner[1:-1, 1:-1] &= mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    edge = (mask & ~inner).sum()
    return 2.0 * mask.sum() / max(edge, 1)


def thicken(ink: np.ndarray, target: float) -> np.ndarray:
    """Dilate strokes thinner than `target` px (a max filter), keeping the ink's shape."""
    grow = int(round(target - stroke_width(ink)))
    if grow < 1:
        return ink
    k = grow + 1 - grow % 2  # odd kernel: grows each side equally
    x = F.pad(torch.from_numpy(np.ascontiguousarray(ink))[None, None], (k, k, k, k))
    # a k x k max filter is a k x 1 one after a 1 x k one: 2k comparisons a pixel, not k²
    grown = F.max_pool2d(x, kernel_size=(1, k), stride=1, padding=(0, k // 2))
    grown = F.max_pool2d(grown, kernel_size=(k, 1), stride=1, padding=(k // 2, 0))[0, 0].numpy()
    top, bottom, left, right = ink_box(grown, min_extent=0.0)
    return grown[top:bottom, left:right]


def fit_box(ink: np.ndarray, size: int = DIGIT_BOX) -> np.ndarray:
    """Scale so the longer side is `size` px, keeping the aspect ratio (antialiased)."""
    h, w = ink.shape
    scale = size / max(h, w)
    new = (max(1, round(h * scale)), max(1, round(w * scale)))
    x = torch.from_numpy(np.ascontiguousarray(ink))[None, None]
    return (
        F.interpolate(x, size=new, mode="bilinear", antialias=True, align_corners=False)[0, 0]
        .clamp(0, 1)
        .numpy()
    )


def centre_by_mass(digit: np.ndarray, size: int = CANVAS) -> np.ndarray:
    """Paste into a size x size canvas with the centre of mass at the centre."""
    h, w = digit.shape
    total = digit.sum()
    rows, cols = np.indices(digit.shape)
    cy, cx = (rows * digit).sum() / total, (cols * digit).sum() / total
    top = int(np.clip(round(size / 2 - 0.5 - cy), 0, size - h))
    left = int(np.clip(round(size / 2 - 0.5 - cx), 0, size - w))
    out = np.zeros((size, size), dtype=np.float32)
    out[top : top + h, left : left + w] = digit
    return out


def mnist_style(image: np.ndarray | Image.Image) -> np.ndarray | None:
    """Steps 1-6: the 28x28 digit in [0, 1], or None when there is no digit to read."""
    ink = normalise_ink(shrink(to_grayscale(image)))
    box = ink_box(ink)
    if box is None:
        return None
    top, bottom, left, right = box
    crop = ink[top:bottom, left:right]
    crop = thicken(crop, STROKE * max(crop.shape) / DIGIT_BOX)
    digit = fit_box(crop)
    return centre_by_mass(digit / digit.max())


def digit_to_input(digit: np.ndarray) -> torch.Tensor:
    """Step 7: digits (28, 28) or (N, 28, 28) in [0, 1] -> (N, 1, 32, 32) model input."""
    batch = np.ascontiguousarray(digit, dtype=np.float32)
    return to_model_input(torch.from_numpy(batch[None] if batch.ndim == 2 else batch))


def prepare_drawing(image: np.ndarray | Image.Image) -> Prepared | None:
    """The whole pipeline: the 28x28 digit shown to users and the model input, or None."""
    digit = mnist_style(image)
    if digit is None:
        return None
    return Prepared(digit, digit_to_input(digit))
