"""The drawing canvas, behind one small function that tests replace with a fake.

`streamlit-drawable-canvas` raises if imported outside a running app, so it is imported here,
inside the call. Its toolbar floats, invisible until hovered, over the top-right corner of the
drawing surface: a stroke begun there by a finger, or by a mouse that did not hover first, hit
the toolbar and was lost, and its "Edit" toggle silently stopped drawing. Version 0.13 has no
option to hide it, so a tiny script of ours hides it; the page gives its own Clear and Undo.

The same script does those two in the browser: a click on the page's button keyed
`draw_clear` (or `draw_undo`) presses the hidden toolbar's own reset (or undo) instead of
reaching Streamlit. The box empties at once, and the server gets one run (the canvas sending its
new drawing) where a button's click and then the canvas's answer were two. Without a canvas
on the page (or in AppTest, which runs no script) the click is Streamlit's as before.
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
// the page's button key -> the toolbar button it presses
const TOOLS = { draw_clear: "Reset canvas & history", draw_undo: "Undo" };
const tool = (label) => {
  for (const el of document.querySelectorAll("*")) {
    const found = el.shadowRoot?.querySelector(`button[aria-label="${label}"]`);
    if (found) return found;
  }
  return null;
};
const pressTool = (event) => {
  for (const [key, label] of Object.entries(TOOLS)) {
    const button = event.target.closest?.(`.st-key-${key} button`);
    // a canvas with nothing to undo (one made anew, e.g. by the projector switch, while the
    // page still holds the old strokes) leaves the click to Streamlit: the page's own Undo
    const pressed = button && !button.disabled && tool(label);
    if (pressed && !pressed.disabled) {
      event.stopImmediatePropagation();
      event.preventDefault();
      pressed.click();
      return;
    }
  }
};
export default function ({ parentElement }) {
  if (!window.__lenetCanvasTools) {
    window.__lenetCanvasTools = true;
    window.addEventListener("click", pressTool, true);  // before Streamlit's own handler
  }
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
    """Hide streamlit-drawable-canvas's floating toolbar everywhere on the page, now and for
    every canvas mounted later, and let the page's Clear and Undo press its tools in the browser.
    """
    import streamlit as st

    hider = st.components.v2.component(
        "lenet.hide_canvas_toolbar", js=HIDE_TOOLBAR_JS, isolate_styles=False
    )
    hider(key="hide_canvas_toolbar")


def _on_drawing(
    key: str, on_stroke: Callable[[], None] | None, on_empty: Callable[[], None] | None
) -> Callable[[], None]:
    """The canvas's change callback: `on_stroke` for a drawing with strokes in it, `on_empty`
    for one the canvas emptied (its reset: the page's Clear, done in the browser).

    A freshly mounted canvas may report its empty default (when its background arrives): that
    is not a drawing, and it is neither.
    """
    import streamlit as st

    def changed() -> None:
        drawing = (st.session_state.get(key) or {}).get("drawing") or {}
        if (drawing.get("raw") or {}).get("objects"):
            if on_stroke is not None:
                on_stroke()
        elif drawing.get("data") and on_empty is not None:  # a picture was sent: no default
            on_empty()

    return changed


def draw_canvas(
    stroke_width: int,
    key: str,
    background: bytes,
    initial: dict | None = None,
    on_stroke: Callable[[], None] | None = None,
    on_empty: Callable[[], None] | None = None,
) -> Drawing:
    """A 280x280 freehand canvas, white ink over a background PNG (its toolbar hidden by
    `hide_toolbar`, which the page mounts once, outside the fragment that redraws the canvas).

    `initial` (fabric.js JSON) replaces the strokes whenever it changes, and the canvas then
    sends its new picture back; `on_stroke` runs before the rerun that a drawing with strokes
    (a new stroke, or an undo that leaves some) causes, `on_empty` before the one that an
    emptied canvas causes.
    """
    from streamlit_drawable_canvas import st_canvas

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
        on_change=_on_drawing(key, on_stroke, on_empty) if on_stroke or on_empty else None,
    )
    image = result.image_data
    strokes = list((result.json_data or {}).get("objects", []))
    return Drawing(None if image is None else np.asarray(image), strokes)
