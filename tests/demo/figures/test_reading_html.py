"""The Draw page's HTML reading: the bars say the probabilities, the pictures hold the pixels."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
from PIL import Image

from demo.figures.reading_html import BLUE, ORANGE, pixel_picture, probability_bars

RNG = np.random.default_rng(0)


def png_pixels(picture: str) -> np.ndarray:
    """The picture's pixels, one a cell (a cell's top left: its last row and column are the
    grey line to the next)."""
    (data,) = re.findall(r'src="data:image/png;base64,([^"]+)"', picture)
    big = np.asarray(Image.open(io.BytesIO(base64.b64decode(data))))
    scale = {252: 9, 256: 8}[big.shape[0]]  # 28 or 32 pixels across
    assert big.shape[0] == big.shape[1] and (big[scale - 1 :: scale] == 136).all()
    return big[::scale, ::scale]


def test_the_picture_holds_every_pixel_black_to_white_on_its_scale():
    digit = np.zeros((28, 28), np.float32)
    digit[5:20, 10:14] = RNG.random((15, 4))
    assert np.array_equal(png_pixels(pixel_picture(digit, "t", 0, 1)), (digit * 255).round())
    model_input = np.pad(digit, 2) * 2 - 1  # the 32x32 input's scale: -1 black, 1 white
    pixels = png_pixels(pixel_picture(model_input, "t", -1, 1))
    assert pixels.shape == (32, 32) and np.array_equal(pixels[2:-2, 2:-2], (digit * 255).round())


def test_each_pixel_off_the_background_has_its_value_under_the_pointer():
    digit = np.zeros((28, 28), np.float32)
    digit[3, 7], digit[27, 0] = 0.5, 1.0
    picture = pixel_picture(digit, "28x28, centred like MNIST", 0, 1)
    tips = re.findall(r'title="(row [^"]+)"', picture)
    assert tips == ["row 3, column 7: 0.50", "row 27, column 0: 1.00"]
    assert 'title="0.00 (the background)"' in picture
    assert "<figcaption" in picture and "28x28, centred like MNIST</figcaption>" in picture
    assert 'alt="28x28, centred like MNIST: 28 by 28 pixels, 0 black to 1 white"' in picture
    noisy = pixel_picture(RNG.random((32, 32)), "noise", 0, 1)  # no background: all but one
    assert len(re.findall(r'title="row ', noisy)) == 1023


def test_the_picture_escapes_its_title():
    assert "<b>" not in pixel_picture(np.zeros((28, 28)), "<b>x</b>", 0, 1)


def test_the_bars_are_the_probabilities_the_predicted_one_orange_and_labelled():
    probs = [0.6, 0.3] + [0.0125] * 8
    bars = probability_bars(probs, 0, big=False)
    heights = [float(h) for h in re.findall(r"height:([0-9.]+)%", bars)]
    assert heights == [round(100 * p, 1) for p in probs]
    colours = re.findall(r"background:(#[0-9a-f]{6})", bars)
    assert colours == [ORANGE] + [BLUE] * 9
    labels = re.findall(r"<span>([^<]*)</span>", bars)
    assert labels == ["60%", "30%"] + [""] * 8  # 15% and over, and the predicted digit
    assert re.findall(r'title="digit (\d): ([0-9.]+)%"', bars)[1] == ("1", "30.00")
    assert "Probability of each digit. 0: 60%, 1: 30%, 2: 1%" in bars  # for a screen reader


def test_no_reading_has_no_orange_bar_and_the_projector_enlarges_the_text():
    empty = probability_bars([0.0] * 10, None, big=False)
    assert ORANGE not in empty.split("</style>")[1]
    assert "font-size:1.0rem" in empty
    assert "font-size:1.2rem" in probability_bars([0.1] * 10, 3, big=True)
