"""The Draw page's panels: the robustness probes, the prediction, what the network sees, the sweep.

Each draws widgets or figures from plain values; the page (demo/views/draw/page.py) decides the
input.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from demo.figures.reading_html import pixel_picture, png_url, probability_bars
from demo.ui.screen import projector
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


# key -> the slider's label, range, step and help; in this order on the screen
PROBE_SLIDERS = {
    "probe_rotate": (
        "Rotate (°)",
        (-45, 45, 5),
        "Turn the digit around its middle. Plus turns it clockwise, minus the other way.",
    ),
    "probe_shift_x": (
        "Shift right/left (px)",
        (-8, 8, 1),
        "Move the digit inside the 28x28 frame: positive moves it right, negative left. "
        "Training digits were always centred: watch how far the network copes.",
    ),
    "probe_shift_y": (
        "Shift down/up (px)",
        (-8, 8, 1),
        "Move the digit inside the 28x28 frame: positive moves it down, negative up.",
    ),
    "probe_scale": ("Scale", (0.5, 1.5, 0.05), "Shrink or grow the digit."),
    "probe_thickness": (
        "Thinner / thicker (px)",
        (-2, 2, 1),
        "Thin the strokes (negative) or thicken them (positive).",
    ),
    "probe_noise": (
        "Noise",
        (0.0, 0.8, 0.05),
        "Random specks on every pixel. The number says how strong they are.",
    ),
}


def probe_controls() -> None:
    """Six sliders, three a row where there is room, and a reset button. Each slider is given
    its resting value: without one, Streamlit searched the whole session state for it."""
    with st.container(horizontal=True, gap="medium"):  # one block, not two rows of columns
        for key, (label, (low, high, step), help_text) in PROBE_SLIDERS.items():
            st.slider(
                label, low, high, PROBE_DEFAULTS[key], step, key=key, help=help_text, width=250
            )
    st.button("Reset probes", on_click=reset_probes, help="Put every probe back to 'no change'.")


def current_probe() -> Probe:
    """The probe the sliders describe (their resting values before they are first drawn)."""
    return Probe(*(st.session_state.get(key, value) for key, value in PROBE_DEFAULTS.items()))


def prediction_panel(probs: list[float] | None, threshold: float, chart_area, notes) -> None:
    """The reading, right under the canvas; its ten probabilities in `chart_area` and the
    'not sure' warning in `notes` (below the buttons, so they do not move under a student's
    pointer when a warning appears)."""
    if probs is None:
        st.metric("Prediction", "–", help=PREDICTION_HELP)
        chart_area.info("Draw a digit in the black box, or pick a test digit.")
        chart_area.html(probability_bars([0.0] * 10, None, projector()))
        return
    digit = int(np.argmax(probs))
    sure = probs[digit] >= threshold
    value = f"{digit} ({probs[digit]:.0%})" if sure else f"{digit}? ({probs[digit]:.0%}, not sure)"
    st.metric("Prediction", value, help=PREDICTION_HELP)
    if not sure:
        notes.warning(f"Not sure: the top probability is under {threshold:.0%}.")
    chart_area.html(probability_bars(probs, digit, projector()))


def seen_panel(slot, shown: np.ndarray | None, model_input, probed: bool) -> None:
    """The 28x28 digit and its (1, 1, 32, 32) model input in `slot`, titled with what was done
    to them."""
    if shown is None:
        slot.caption("The 28x28 MNIST-style digit and the 32x32 input appear here.")
        return
    title = "28x28 after your probes" if probed else "28x28, centred like MNIST"
    slot.html(
        pixel_picture(shown, title, 0.0, 1.0)
        + '<div style="height:1rem"></div>'
        + pixel_picture(model_input[0, 0].numpy(), "32x32, as the network reads it", -1.0, 1.0)
    )


def png_data_url(digit: np.ndarray, scale: int = 1) -> str:
    """A (28, 28) digit in [0, 1] as an inline PNG: no media file for the browser to miss.
    `scale` repeats each pixel; the sweep instead lets the browser scale it (pixelated)."""
    return png_url((np.kron(digit, np.ones((scale, scale))).clip(0, 1) * 255).astype(np.uint8))


def sweep_html(model, digit: np.ndarray) -> str:
    """The digit turned from -45° to +45° and what the network reads at each angle."""
    sweep = rotation_sweep()
    digits = apply_probes(digit, sweep)
    probs = probabilities(model, digit_to_input(digits)).numpy()
    figures = "".join(
        f'<figure style="margin:0;text-align:center">'
        f'<img src="{png_data_url(shown)}" width="84" height="84" '
        f'style="image-rendering:pixelated" '
        f'alt="turned {probe.rotate:+.0f} degrees">'
        f"<figcaption>{probe.rotate:+.0f}°: <b>{int(p.argmax())}</b> ({p.max():.0%})"
        f"</figcaption></figure>"
        for probe, shown, p in zip(sweep, digits, probs, strict=True)
    )
    return (
        "<p><b>Rotation sweep</b>: the same digit from −45° (anticlockwise) to +45° (clockwise):"
        f'</p><div style="display:flex;flex-wrap:wrap;gap:12px 16px">{figures}</div>'
    )
