"""The drawing canvas, behind one small function that tests replace with a fake.

`streamlit-drawable-canvas` raises if imported outside a running app, so it is imported here,
inside the call. Its toolbar floats, invisible until hovered, over the top-right corner of the
drawing surface: a stroke begun there by a finger, or by a mouse that did not hover first, hit
the toolbar and was lost, and its "Edit" toggle silently stopped drawing. Version 0.13 has no
option to hide it, so a tiny script of ours hides it; the page gives its own Clear and Undo.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image

SIZE = 280

# The canvas lives in a shadow root, out of reach of the page's CSS: give every shadow root,
# existing and future, a style that removes the toolbar (`display: none` beats its inline flex).
HIDE_TOOLBAR_JS = """
const CSS = ".dc-toolbar { display: none !important; }";
const hide = (root) => {
  if (root && !root.querySelector("style[data-lenet-hide-toolbar]")) {
    const style = document.createElement("style");
    style.dataset.lenetHideToolbar = "";
    style.textContent = CSS;
    root.appendChild(style);
  }
};
export default function ({ parentElement }) {
  const slot = parentElement.closest?.('[data-testid="stElementContainer"]');
  if (slot) slot.style.display = "none";  // takes no room on the page
  if (!window.__lenetHidesCanvasToolbar) {
    window.__lenetHidesCanvasToolbar = true;
    const attach = Element.prototype.attachShadow;
    Element.prototype.attachShadow = function (init) {
      const root = attach.call(this, init);
      hide(root);
      return root;
    };
  }
  document.querySelectorAll("*").forEach((el) => hide(el.shadowRoot));
}
"""


@dataclass(frozen=True)
class Drawing:
    """What the canvas holds: its pixels and its strokes."""

    image: np.ndarray | None  # (280, 280, 4) RGBA, light ink on transparent; None before any
    strokes: list[dict] = field(default_factory=list)  # fabric.js objects, oldest first


@lru_cache(maxsize=64)
def background_png(digit_bytes: bytes | None = None) -> bytes:
    """A black 280x280 PNG, or a 28x28 uint8 digit (as bytes) scaled up to fill it."""
    if digit_bytes is None:
        picture = Image.new("L", (SIZE, SIZE), 0)
    else:
        small = Image.frombytes("L", (28, 28), digit_bytes)
        picture = small.resize((SIZE, SIZE), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def hide_toolbar() -> None:
    """Hide streamlit-drawable-canvas's floating toolbar everywhere on the page."""
    import streamlit as st

    hider = st.components.v2.component(
        "lenet.hide_canvas_toolbar", js=HIDE_TOOLBAR_JS, isolate_styles=False
    )
    hider(key="hide_canvas_toolbar")


def _when_it_has_strokes(key: str, callback: Callable[[], None]) -> Callable[[], None]:
    """The canvas's change callback, passed on only for a drawing with strokes in it.

    A freshly mounted canvas may report its empty default (when its background arrives): that
    is not a student drawing.
    """
    import streamlit as st

    def changed() -> None:
        drawing = (st.session_state.get(key) or {}).get("drawing") or {}
        if (drawing.get("raw") or {}).get("objects"):
            callback()

    return changed


def draw_canvas(
    stroke_width: int,
    key: str,
    background: bytes,
    initial: dict | None = None,
    on_stroke: Callable[[], None] | None = None,
) -> Drawing:
    """A 280x280 freehand canvas, white ink over a background PNG, with no toolbar.

    `initial` (fabric.js JSON) replaces the strokes whenever it changes, and the canvas then
    sends its new picture back; `on_stroke` runs before the rerun that a drawing with strokes
    (a new stroke, or an undo that leaves some) causes.
    """
    from streamlit_drawable_canvas import st_canvas

    hide_toolbar()
    result = st_canvas(
        stroke_width=stroke_width,
        stroke_color="#FFFFFF",
        background_image=background,
        height=SIZE,
        width=SIZE,
        drawing_mode="freedraw",
        initial_drawing=initial,
        return_image_data=True,
        key=key,
        on_change=_when_it_has_strokes(key, on_stroke) if on_stroke else None,
    )
    image = result.image_data
    strokes = list((result.json_data or {}).get("objects", []))
    return Drawing(None if image is None else np.asarray(image), strokes)
