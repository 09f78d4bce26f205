"""`lenet.predict` on big, hostile and odd pictures: an answer or one line each, never a hang."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks.predict_photos import photo
from lenet.cli.predict import read_image
from lenet.data.mnist import read_idx
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from lenet.reading import classify
from tests.conftest import FIXTURE_DIR
from tests.paths import ROOT


@pytest.fixture(scope="module")
def model():
    return load_checkpoint(DEFAULT_CHECKPOINT)[0]


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """The fixture's first 20 MNIST test digits (uint8, 28x28) and their labels."""
    images = read_idx(FIXTURE_DIR / "t10k-images-idx3-ubyte.gz")[:20]
    return images, read_idx(FIXTURE_DIR / "t10k-labels-idx1-ubyte.gz")[:20]


def predict(*paths: Path | str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`python -m lenet.predict PATHS --json`, killed after `timeout` seconds (a hang fails)."""
    command = [sys.executable, "-m", "lenet.predict", *map(str, paths), "--json"]
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def answers(done: subprocess.CompletedProcess) -> dict[str, int]:
    return {Path(a["file"]).name: a["digit"] for a in map(json.loads, done.stdout.splitlines())}


def errors(done: subprocess.CompletedProcess) -> list[str]:
    assert "Traceback" not in done.stderr and "Warning" not in done.stderr, done.stderr
    return done.stderr.strip().splitlines()


def big(digit28: np.ndarray, size: int = 280) -> np.ndarray:
    """An MNIST digit redrawn at size x size (light ink, 0-255)."""
    return np.asarray(Image.fromarray(digit28).resize((size, size), Image.BILINEAR))


def test_a_12_mp_photo_is_read_in_seconds_as_the_same_photo_small(tmp_path):
    photo(7, 640, 480).save(tmp_path / "small.jpg", quality=90)
    photo(7, 4000, 3000).save(tmp_path / "large.jpg", quality=90)
    photo(7, 4000, 3000).save(tmp_path / "large.png")
    done = predict(tmp_path / "small.jpg", tmp_path / "large.jpg", tmp_path / "large.png")
    assert done.returncode == 0, done.stderr
    assert answers(done) == {"small.jpg": 7, "large.jpg": 7, "large.png": 7}


def test_a_12_mp_array_is_read_in_seconds_by_the_library():
    script = (
        "import numpy as np; from benchmarks.predict_photos import photo;"
        "from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint;"
        "from lenet.reading import classify;"
        "model = load_checkpoint(DEFAULT_CHECKPOINT)[0];"
        "small = classify(model, np.asarray(photo(2, 640, 480)));"
        "large = classify(model, np.asarray(photo(2, 4000, 3000)));"
        "r = np.corrcoef(small.prepared.digit.ravel(), large.prepared.digit.ravel())[0, 1];"
        "print(small.digit, large.digit, r > 0.9)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.split() == ["2", "2", "True"], done.stderr


def declared_gif(width: int, height: int) -> bytes:
    """A tiny GIF whose header declares width x height pixels (29 bytes)."""
    screen = struct.pack("<HHBBB", width, height, 0, 0, 0)
    frame = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0)
    return b"GIF89a" + screen + frame + b"\x02\x02\x44\x01\x00;"


def test_pictures_declaring_too_many_pixels_get_one_line_and_the_next_file_is_read(tmp_path):
    (tmp_path / "bomb.gif").write_bytes(declared_gif(65535, 65535))
    (tmp_path / "wide.gif").write_bytes(declared_gif(10000, 10000))  # under Pillow's own limit
    assert len((tmp_path / "bomb.gif").read_bytes()) == 29
    photo(4, 640, 480).save(tmp_path / "four.jpg")
    done = predict(tmp_path / "bomb.gif", tmp_path / "wide.gif", tmp_path / "four.jpg")
    assert done.returncode == 1 and answers(done) == {"four.jpg": 4}
    assert errors(done) == [
        f"{tmp_path / 'bomb.gif'}: the image is too large (4,294,836,225 pixels;"
        " the limit is 50 megapixels)",
        f"{tmp_path / 'wide.gif'}: the image is too large (10000x10000 pixels;"
        " the limit is 50 megapixels)",
    ]


def test_a_fifo_a_folder_and_a_device_are_refused_without_opening_them(tmp_path):
    os.mkfifo(tmp_path / "pipe.png")
    (tmp_path / "folder.png").mkdir()
    photo(2, 640, 480).save(tmp_path / "two.jpg")
    paths = [
        tmp_path / "pipe.png",
        tmp_path / "folder.png",
        Path("/dev/zero"),
        tmp_path / "two.jpg",
    ]
    done = predict(*paths)
    assert done.returncode == 1 and answers(done) == {"two.jpg": 2}
    assert errors(done) == [
        f"{tmp_path / 'pipe.png'}: not a regular file (a named pipe)",
        f"{tmp_path / 'folder.png'}: not a regular file (a folder)",
        "/dev/zero: not a regular file (a device)",
    ]


@pytest.mark.parametrize("colour", [0, 255], ids=["black ink", "white ink"])
def test_ink_on_a_transparent_png_is_read(tmp_path, model, digits, colour):
    images, labels = digits
    read = []
    for index, digit in enumerate(images):
        rgba = np.zeros((280, 280, 4), dtype=np.uint8)
        rgba[..., :3] = colour
        rgba[..., 3] = big(digit)  # the drawn pixels are the opaque ones
        Image.fromarray(rgba, "RGBA").save(tmp_path / f"{index}.png")
        prediction = classify(model, read_image(tmp_path / f"{index}.png"))
        read.append(None if prediction is None else prediction.digit)
    assert sum(r == label for r, label in zip(read, labels, strict=True)) >= 19, read


def test_black_ink_on_a_palette_picture_with_a_transparent_background_is_read(
    tmp_path, model, digits
):
    images, labels = digits
    ink = (big(images[0]) > 100).astype(np.uint8)  # index 1 where the 7 is drawn
    picture = Image.fromarray(ink, "P")
    picture.putpalette([0, 0, 0, 0, 0, 0])  # both black: only the transparency tells them apart
    picture.save(tmp_path / "seven.gif", transparency=0)
    picture.save(tmp_path / "seven.png", transparency=0)
    for name in ("seven.gif", "seven.png"):
        assert classify(model, read_image(tmp_path / name)).digit == labels[0] == 7


@pytest.mark.parametrize(
    "digit, orientation", [(7, 8), (2, 6), (2, 8)], ids=["7 left", "2 right", "2 left"]
)
def test_a_phone_photo_is_read_the_way_its_exif_tag_turns_it(tmp_path, model, digit, orientation):
    stored = {6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation  # the camera was held sideways: "turn me to view"
    photo(digit, 640, 480).transpose(stored).save(tmp_path / "phone.jpg", exif=exif)
    assert classify(model, read_image(tmp_path / "phone.jpg")).digit == digit


def test_a_16_bit_png_is_read_at_its_full_range(tmp_path, model, digits):
    images, labels = digits
    levels = (big(images[1]).astype(np.uint16) * 257).astype(np.uint16)
    Image.fromarray(levels).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")
    assert classify(model, read_image(tmp_path / "deep.png")).digit == labels[1] == 2


def odd_files(folder: Path, digit: np.ndarray) -> dict[str, int | None]:
    """Odd but harmless pictures: name -> the digit they show, None when they show none."""
    light = Image.fromarray(big(digit))  # a 7, light on dark
    buffer = io.BytesIO()
    light.save(buffer, "PNG")
    (folder / "cut.png").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    (folder / "empty.png").write_bytes(b"")
    (folder / "text.png").write_text("a lecture note, named like a picture")
    Image.new("L", (1, 1), 255).save(folder / "dot.png")
    Image.new("L", (1, 10000), 128).save(folder / "strip.png")
    Image.new("L", (10000, 1), 0).save(folder / "line.png")
    light.convert("CMYK").save(folder / "cmyk.jpg")
    light.convert("LA").save(folder / "la.png")
    blank = Image.new("L", light.size, 0)
    light.save(folder / "animated.gif", save_all=True, append_images=[blank, blank], duration=100)
    light.save(folder / "animated.png", save_all=True, append_images=[blank], duration=100)
    light.convert("1").save(folder / "bilevel.bmp")
    light.save(folder / "tiff.tif", compression="tiff_deflate")
    light.save(folder / "webp.webp")
    names = ("cut.png", "empty.png", "text.png", "dot.png", "strip.png", "line.png")
    kinds = ("cmyk.jpg", "la.png", "animated.gif", "animated.png", "bilevel.bmp", "tiff.tif")
    return {n: None for n in names} | {n: 7 for n in (*kinds, "webp.webp")}


def test_odd_pictures_each_get_an_answer_or_one_line(tmp_path, digits):
    expected = odd_files(tmp_path, digits[0][0])
    done = predict(*(tmp_path / name for name in expected))
    assert done.returncode == 1
    assert answers(done) == {n: d for n, d in expected.items() if d is not None}
    lines = errors(done)
    failed = [n for n, d in expected.items() if d is None]
    assert [Path(line.split(": ")[0]).name for line in lines] == failed
    assert "cut.png: not a readable image (damaged, cut short or unsupported: " in lines[0]
    assert "text.png: not a readable image (not a picture format Pillow knows)" in lines[2]


PEAK_OF_READING = """
import resource, sys
from lenet.data.images import read_picture
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
picture = read_picture(sys.argv[1])
print(picture.size[0], (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


@pytest.mark.parametrize("mode", ["I;16", "RGB"])
def test_a_50_mp_png_costs_a_few_hundred_mb_at_most(tmp_path, mode):
    """A 97 kB 16-bit PNG declaring 50 MP cost 1.25 GB (converted to float64 at full size)."""
    path = tmp_path / "flat.png"
    Image.new(mode, (7070, 7070), 0).save(path)
    done = subprocess.run(
        [sys.executable, "-c", PEAK_OF_READING, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    width, grown_mb = map(int, done.stdout.split())
    assert width == 280 and grown_mb < 400, f"reading it took {grown_mb} MB more"
