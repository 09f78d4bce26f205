"""Read a picture file safely: any size, format or oddity gives a small image or one-line reason.

A file is refused before it is decoded when it is not a regular file (a FIFO would block, a
device never ends) or declares more pixels than MAX_PIXELS (a 29-byte GIF may declare 65535²).
What is decoded is the first frame, in the orientation the camera's EXIF tag asks for, converted
to L, LA, RGB or RGBA (16-bit, CMYK and palette pictures included, transparency kept), and
reduced to fit WORK x WORK with antialiasing: JPEGs are decoded at a reduced scale, so a 12 MP
photo costs about what a small one does.
"""

from __future__ import annotations

import os
import re
import stat
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from lenet.data.preprocess import WORK

MAX_PIXELS = 50_000_000  # a 48 MP phone photo passes; decoding it costs at most ~200 MB
ORIENTATION = 0x0112  # the EXIF tag a phone writes instead of rotating the pixels
TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
KINDS = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a named pipe", stat.S_IFSOCK: "a socket"}


class TooLarge(ValueError):
    """A picture declaring more pixels than MAX_PIXELS, refused before it is decoded."""

    def __init__(self, size: str) -> None:
        limit = f"{MAX_PIXELS // 1_000_000} megapixels"
        super().__init__(f"the image is too large ({size} pixels; the limit is {limit})")


def open_regular(path: Path) -> int:
    """A read-only descriptor of a regular file; opening never blocks (a FIFO, a device)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise ValueError("no such file") from None
    except IsADirectoryError:
        raise ValueError("not a regular file (a folder)") from None
    except PermissionError:
        kind = "not a regular file (a folder)" if path.is_dir() else "permission denied"
        raise ValueError(kind) from None
    except OSError as error:
        raise ValueError(
            f"cannot open the file ({error.strerror or type(error).__name__})"
        ) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise ValueError(f"not a regular file ({KINDS.get(stat.S_IFMT(mode), 'a device')})")
    return fd


def standard_mode(image: Image.Image) -> Image.Image:
    """The picture as L, LA, RGB or RGBA; 16-bit and float levels scaled, transparency kept."""
    if image.mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if image.mode.startswith(("I", "F")):  # 16-bit PNG, 32-bit TIFF: levels beyond 255
        levels = np.asarray(image, dtype=np.float32)
        top = levels.max(initial=0.0)
        scale = 255.0 if top <= 255 else 65535.0 if top <= 65535 else top
        return Image.fromarray((np.clip(levels / scale, 0, 1) * 255).astype(np.uint8))  # L
    if image.has_transparency_data:  # palette or tRNS transparency, PA, La, RGBa
        return image.convert("RGBA")
    return image.convert("L" if image.mode == "1" else "RGB")  # P, CMYK, YCbCr, HSV...


def reduced(image: Image.Image) -> Image.Image:
    """`image` box-averaged by a whole factor to no less than 2 x WORK, in its own mode where
    Pillow can (a PNG or TIFF is decoded at full size: converting or copying that first cost
    ~25 bytes a pixel, 1.2 GB for a 50 MP 16-bit PNG)."""
    factor = max(image.size) // (2 * WORK)
    if factor < 2:
        return image
    if image.mode.startswith("I;16"):
        image = image.convert("I")  # 16-bit levels kept, in a mode Pillow can reduce
    if image.mode not in ("L", "LA", "RGB", "RGBA", "I", "F", "CMYK"):
        return image  # palette and bilevel pictures: converted at full size, then reduced
    return image.reduce(factor)


def decode(file) -> Image.Image:
    """Open, check the declared size, decode (reduced) and orient the first frame."""
    with Image.open(file) as image:
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise TooLarge(f"{width}x{height}")
        orientation = image.getexif().get(ORIENTATION, 1)
        image.draft(None, (2 * WORK, 2 * WORK))  # JPEG: decode at 1/2, 1/4 or 1/8 scale
        image.load()
        picture = standard_mode(reduced(image))
        if picture is image:
            picture = image.copy()
    picture.thumbnail((WORK, WORK), Image.Resampling.LANCZOS, reducing_gap=3.0)
    if orientation in TRANSPOSE:
        picture = picture.transpose(TRANSPOSE[orientation])
    return picture


def read_picture(path: Path) -> Image.Image:
    """The picture in a file, fit to WORK x WORK, or ValueError with a one-line reason."""
    fd = open_regular(path)
    with os.fdopen(fd, "rb") as file, warnings.catch_warnings():
        # Pillow warns (DecompressionBombWarning, truncated EXIF, palette transparency) on
        # stderr: our own size limit and one-line reasons replace those lines
        warnings.simplefilter("ignore")
        try:
            return decode(file)
        except TooLarge:
            raise
        except Image.DecompressionBombError as error:  # declared beyond Pillow's own limit
            pixels = re.search(r"\((\d+) pixels\)", str(error))
            raise TooLarge(f"{int(pixels[1]):,}" if pixels else "over 178 million") from None
        except UnidentifiedImageError:
            reason = "not a picture format Pillow knows"
        except (OSError, EOFError, SyntaxError) as error:  # truncated or damaged data
            reason = f"damaged, cut short or unsupported: {one_line(error)}"
        except Exception as error:  # Pillow's parsers on hostile bytes raise many kinds
            reason = f"{type(error).__name__}: {one_line(error)}"
    raise ValueError(f"not a readable image ({reason})")


def one_line(error: BaseException) -> str:
    """An exception's message on one short line."""
    text = " ".join(str(error).split())
    return text if len(text) <= 80 else text[:77] + "..."
