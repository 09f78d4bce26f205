"""The drawing canvas, behind one small function that tests replace with a fake.

`streamlit-drawable-canvas` raises if imported outside a running app, so it is imported here,
inside the call.
"""

from __future__ import annotations

import numpy as np

SIZE = 280


def draw_canvas(stroke_width: int, key: str) -> np.ndarray | None:
    """A 280x280 freehand canvas, white ink on black; its RGBA pixels, or None before drawing."""
    from streamlit_drawable_canvas import st_canvas

    result = st_canvas(
        stroke_width=stroke_width,
        stroke_color="#FFFFFF",
        background_color="#000000",
        height=SIZE,
        width=SIZE,
        drawing_mode="freedraw",
        return_image_data=True,
        key=key,
    )
    image = result.image_data
    return None if image is None else np.asarray(image)
