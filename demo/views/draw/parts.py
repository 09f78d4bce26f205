"""The Draw page's panels: the robustness probes, the prediction, what the network sees, the sweep.

Each draws widgets or figures from plain values; the page (demo/views/draw/page.py) decides the
input.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import streamlit as st
from PIL import Image

from demo.figures import charts
from demo.ui.screen import chart
from lenet.data.preprocess import digit_to_input
from lenet.explain.probes import Probe, apply_probes, rotation_sweep
from lenet.reading import probabilities

# slider key -> its resting value; "Reset probes" and a new test digit put them all back
PROBE_DEFAULTS = {
    "probe_rotate": 0,
    "probe_shift_x": 0,
    "probe_shift_y": 0,
    "probe_scale": 1.0,
    "probe_thickness": 0,
    "probe_noise": 0.0,
}
PREDICTION_HELP = "The digit the network reads, and how sure it is (its top probability)."


def reset_probes() -> None:
    """Put every probe slider back to 'no change' (a callback: runs before the sliders)."""
    st.session_state.update(PROBE_DEFAULTS)


def probe_controls() -> Probe:
    """Six sliders and a reset button; the probe they describe."""
    for key, value in PROBE_DEFAULTS.items():
        st.session_state.setdefault(key, value)
    top, bottom = st.columns(3), st.columns(3)
    rotate = top[0].slider(
        "Rotate (°)",
        -45,
        45,
        step=5,
        key="probe_rotate",
        help="Turn the digit around its middle. Plus turns it clockwise, minus the other way.",
    )
    shift_x = top[1].slider(
        "Shift right/left (px)",
        -8,
        8,
        key="probe_shift_x",
        help="Move the digit inside the 28x28 frame: positive moves it right, negative left. "
        "Training digits were always centred: watch how far the network copes.",
    )
    shift_y = top[2].slider(
        "Shift down/up (px)",
        -8,
        8,
        key="probe_shift_y",
        help="Move the digit inside the 28x28 frame: positive moves it down, negative up.",
    )
    scale = bottom[0].slider(
        "Scale", 0.5, 1.5, step=0.05, key="probe_scale", help="Shrink or grow the digit."
    )
    thickness = bottom[1].slider(
        "Thinner / thicker (px)",
        -2,
        2,
        key="probe_thickness",
        help="Thin the strokes (negative) or thicken them (positive).",
    )
    noise = bottom[2].slider(
        "Noise",
        0.0,
        0.8,
        step=0.05,
        key="probe_noise",
        help="Random specks on every pixel. The number says how strong they are.",
    )
    st.button("Reset probes", on_click=reset_probes, help="Put every probe back to 'no change'.")
    return Probe(rotate, shift_x, shift_y, scale, thickness, noise)


def prediction_panel(probs: list[float] | None, threshold: float, chart_area, notes) -> None:
    """The reading, right under the canvas; its ten probabilities in `chart_area` and the
    'not sure' warning in `notes` (below the buttons, so they do not move under a student's
    pointer when a warning appears)."""
    if probs is None:
        st.metric("Prediction", "–", help=PREDICTION_HELP)
        chart_area.info("Draw a digit in the black box, or pick a test digit.")
        chart(chart_area, charts.probability_figure([0.0] * 10, None), key="probs")
        return
    digit = int(np.argmax(probs))
    sure = probs[digit] >= threshold
    value = f"{digit} ({probs[digit]:.0%})" if sure else f"{digit}? ({probs[digit]:.0%}, not sure)"
    st.metric("Prediction", value, help=PREDICTION_HELP)
    if not sure:
        notes.warning(f"Not sure: the top probability is under {threshold:.0%}.")
    chart(chart_area, charts.probability_figure(probs, digit), key="probs")


def seen_panel(shown: np.ndarray | None, probed: bool) -> None:
    """The 28x28 digit and the 32x32 model input, titled with what was done to them."""
    st.subheader("What the network sees")
    if shown is None:
        st.caption("The 28x28 MNIST-style digit and the 32x32 input appear here.")
        return
    title = "28x28 after your probes" if probed else "28x28, centred like MNIST"
    chart(st, charts.pixels_figure(shown, title, 250), key="px28")
    model_input = digit_to_input(shown[None])[0, 0].numpy()
    chart(st, charts.pixels_figure(model_input, "32x32, as the network reads it", 250), key="px32")


def png_data_url(digit: np.ndarray, scale: int = 3) -> str:
    """A (28, 28) digit in [0, 1] as an inline PNG: no media file for the browser to miss."""
    pixels = (np.kron(digit, np.ones((scale, scale))).clip(0, 1) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def sweep_strip(model, digit: np.ndarray) -> None:
    """The digit turned from -45° to +45° and what the network reads at each angle."""
    sweep = rotation_sweep()
    digits = apply_probes(digit, sweep)
    probs = probabilities(model, digit_to_input(digits)).numpy()
    figures = "".join(
        f'<figure style="margin:0;text-align:center">'
        f'<img src="{png_data_url(shown)}" width="84" height="84" '
        f'alt="turned {probe.rotate:+.0f} degrees">'
        f"<figcaption>{probe.rotate:+.0f}°: <b>{int(p.argmax())}</b> ({p.max():.0%})"
        f"</figcaption></figure>"
        for probe, shown, p in zip(sweep, digits, probs, strict=True)
    )
    st.markdown("**Rotation sweep**: the same digit from −45° (anticlockwise) to +45° (clockwise):")
    st.html(f'<div style="display:flex;flex-wrap:wrap;gap:12px 16px">{figures}</div>')
