"""MNIST-style preprocessing on synthetic drawings: small, off-centre, thick, thin, blank, a dot."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from lenet.data.preprocess import mnist_style, prepare_drawing, to_grayscale
from lenet.reading import classify

SIZE = 280


def canvas(
    draw_fn,
    width: int = 20,
    background=(0, 0, 0, 255),
    ink=(255, 255, 255, 255),
    mode: str = "RGBA",
) -> np.ndarray:
    image = Image.new(mode, (SIZE, SIZE), background)
    draw_fn(ImageDraw.Draw(image), ink, width)
    return np.asarray(image)


def one(box):  # a vertical stroke inside box = (left, top, right, bottom)
    def draw(d, ink, width):
        x = (box[0] + box[2]) // 2
        d.line([(x, box[1]), (x, box[3])], fill=ink, width=width)

    return draw


def zero(box):
    def draw(d, ink, width):
        d.ellipse(box, outline=ink, width=width)

    return draw


def ink_extent(digit: np.ndarray) -> tuple[int, int]:
    rows, cols = np.nonzero(digit > 0.05)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def centre_of_mass(digit: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(digit.shape)
    return (rows * digit).sum() / digit.sum(), (cols * digit).sum() / digit.sum()


def test_blank_and_a_single_dot_give_none():
    assert prepare_drawing(canvas(lambda d, ink, w: None)) is None
    dot = canvas(lambda d, ink, w: d.ellipse((130, 130, 145, 145), fill=ink))
    assert prepare_drawing(dot) is None
    faint = np.full((SIZE, SIZE), 3, dtype=np.uint8)  # noise-level grey everywhere
    assert prepare_drawing(faint) is None


@pytest.mark.parametrize(
    "box, width",
    [
        ((60, 40, 220, 240), 20),  # large and centred
        ((10, 10, 50, 60), 6),  # small, top-left corner
        ((200, 190, 270, 270), 12),  # small, bottom-right corner
        ((90, 30, 190, 250), 45),  # very thick
        ((90, 30, 190, 250), 3),  # very thin
    ],
)
def test_any_zero_becomes_a_centred_20px_digit(box, width):
    prepared = prepare_drawing(canvas(zero(box), width=width))
    digit = prepared.digit
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    assert digit.min() >= 0 and digit.max() <= 1 and digit.max() > 0.9
    assert max(ink_extent(digit)) in (19, 20, 21)  # the longer side scaled to 20 px
    cy, cx = centre_of_mass(digit)
    assert abs(cy - 13.5) <= 0.75 and abs(cx - 13.5) <= 0.75
    assert prepared.model_input.shape == (1, 1, 32, 32)
    assert prepared.model_input.min() >= -1 and prepared.model_input.max() <= 1


def test_aspect_ratio_is_kept():
    tall = prepare_drawing(canvas(one((100, 20, 140, 260)), width=24)).digit
    height, width = ink_extent(tall)
    assert height >= 19 and width <= 5


def test_small_corner_drawing_matches_a_large_centred_one():
    big = prepare_drawing(canvas(zero((40, 20, 240, 260)), width=30)).digit
    small = prepare_drawing(canvas(zero((5, 5, 55, 65)), width=7)).digit

    def blur(digit: np.ndarray) -> np.ndarray:  # a pixel's shift is not a different digit
        x = torch.from_numpy(digit)[None, None]
        return torch.nn.functional.avg_pool2d(x, 3, stride=1, padding=1).ravel().numpy()

    assert np.corrcoef(blur(big), blur(small))[0, 1] > 0.85


def test_dark_ink_on_light_paper_is_inverted():
    light = canvas(zero((60, 40, 220, 240)), mode="L", background=0, ink=255)
    paper = canvas(zero((60, 40, 220, 240)), mode="L", background=235, ink=25)
    a, b = mnist_style(light), mnist_style(paper)
    assert np.abs(a - b).max() < 0.05


def test_transparent_canvas_background_is_black():
    strokes = canvas(zero((60, 40, 220, 240)), background=(0, 0, 0, 0))
    opaque = canvas(zero((60, 40, 220, 240)))
    assert np.abs(mnist_style(strokes) - mnist_style(opaque)).max() < 1e-6


def test_grayscale_accepts_pil_and_arrays():
    rgb = Image.new("RGB", (10, 10), (255, 255, 255))
    assert to_grayscale(rgb).shape == (10, 10) and to_grayscale(rgb).max() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="expected a grayscale"):
        to_grayscale(np.zeros((4, 4, 2)))


def place(digit28: np.ndarray, size: int, top: int, left: int, paper: bool = False) -> np.ndarray:
    """A real MNIST digit redrawn at another size and place on a 280x280 picture."""
    big = np.asarray(Image.fromarray(digit28).resize((size, size), Image.BILINEAR))
    picture = np.zeros((SIZE, SIZE), dtype=np.uint8)
    picture[top : top + size, left : left + size] = big
    if paper:  # dark ink on grey paper, with sensor noise
        noise = np.random.default_rng(0).normal(0, 6, picture.shape)
        picture = np.clip(225 - picture * 0.8 + noise, 0, 255).astype(np.uint8)
    return picture


def test_real_digits_small_in_a_corner_or_on_paper_are_read(fixture_model):
    from lenet.data.mnist import read_idx
    from tests.conftest import FIXTURE_DIR

    images = read_idx(FIXTURE_DIR / "t10k-images-idx3-ubyte.gz")[:200]
    labels = read_idx(FIXTURE_DIR / "t10k-labels-idx1-ubyte.gz")[:200]
    for size, top, left, paper in (
        (250, 15, 15, False),
        (70, 5, 200, False),
        (90, 180, 10, False),
        (200, 40, 40, True),
    ):
        right = sum(
            classify(fixture_model, place(img, size, top, left, paper)).digit == label
            for img, label in zip(images, labels, strict=True)
        )
        assert right / len(labels) >= 0.9, (size, top, left, paper)
