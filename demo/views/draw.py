"""The Draw page: draw a digit (or take a test digit) and watch the network read it.

The drawing goes through `lenet.preprocess` exactly like MNIST's own digits were made (crop,
scale to 20 px, centre of mass), then through the optional robustness probes, then the model.
The page keeps the current digit in session state for the Inspect page.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from demo import canvas, charts, models
from demo.state import mnist
from lenet.predict import probabilities
from lenet.preprocess import digit_to_input, mnist_style
from lenet.probes import Probe, apply_probes, rotation_sweep

THRESHOLD_HELP = (
    "Below this top probability the answer is marked 'not sure'. The network always "
    "names some digit, even for a scribble; a low top probability means the drawing "
    "looked like several digits, or like none."
)


def pick_test_digit(model_key: str, model, wrong: bool) -> None:
    """Make a test image the current input: any one, or one this model misreads."""
    data = mnist()
    rng = np.random.default_rng()
    if not wrong:
        index = int(rng.integers(len(data.test)))
    else:
        probs = models.test_probabilities(model_key, model, data)
        predicted = probs.argmax(1)
        wrong_ones = (predicted != data.test.labels).nonzero().flatten().tolist()
        if not wrong_ones:
            st.session_state["draw_notice"] = "This model reads every test digit right."
            return
        index = int(rng.choice(wrong_ones))
    st.session_state.update(draw_source="test", test_index=index)


def drawing_input(stroke: int) -> np.ndarray | None:
    """The canvas; a new stroke makes the drawing the current input again."""
    image = canvas.draw_canvas(stroke, key=f"canvas_{st.session_state.get('canvas_round', 0)}")
    digest = hashlib.md5(image.tobytes()).hexdigest() if image is not None else None
    if digest != st.session_state.get("canvas_digest"):
        st.session_state["canvas_digest"] = digest
        if image is not None and image.any():
            st.session_state["draw_source"] = "canvas"
    return image


def clear_canvas() -> None:
    st.session_state["canvas_round"] = st.session_state.get("canvas_round", 0) + 1
    st.session_state.update(canvas_digest=None, draw_source="canvas")


def base_digit(image: np.ndarray | None) -> tuple[np.ndarray | None, str]:
    """The 28x28 digit before any probe, and where it came from."""
    if st.session_state.get("draw_source") == "test":
        data = mnist()
        index = st.session_state["test_index"]
        label = int(data.test.labels[index])
        return data.test_digits[index] / np.float32(255), f"test image #{index} (a {label})"
    if image is None:
        return None, "your drawing"
    return mnist_style(image), "your drawing"


def probe_controls() -> Probe:
    cols = st.columns(5)
    rotate = cols[0].slider(
        "Rotate (°)",
        -45,
        45,
        0,
        5,
        key="probe_rotate",
        help="Turn the digit about its centre; positive is anticlockwise.",
    )
    shift = cols[1].slider(
        "Shift right/down (px)",
        -8,
        8,
        (0, 0),
        key="probe_shift",
        help="Move the digit inside the 28x28 frame. Training digits were "
        "always centred: watch how far the network copes.",
    )
    scale = cols[2].slider(
        "Scale",
        0.5,
        1.5,
        1.0,
        0.05,
        key="probe_scale",
        help="Shrink or grow the digit about its centre.",
    )
    thick = cols[3].slider(
        "Thinner / thicker (px)",
        -2,
        2,
        0,
        1,
        key="probe_thickness",
        help="Thin the strokes (negative) or thicken them (positive).",
    )
    noise = cols[4].slider(
        "Noise",
        0.0,
        0.8,
        0.0,
        0.05,
        key="probe_noise",
        help="Random speckle on every pixel (its standard deviation).",
    )
    return Probe(
        rotate=rotate, shift_x=shift[0], shift_y=shift[1], scale=scale, thickness=thick, noise=noise
    )


def prediction_panel(probs: list[float] | None, threshold: float) -> None:
    if probs is None:
        st.metric("Prediction", "–", help="The digit the network reads, and how sure it is.")
        st.info("Draw a digit in the black box, or pick a test digit.")
        st.plotly_chart(charts.probability_figure([0.0] * 10, None), key="probs")
        return
    digit = int(np.argmax(probs))
    sure = probs[digit] >= threshold
    value = f"{digit} ({probs[digit]:.0%})" if sure else f"{digit}? ({probs[digit]:.0%}, not sure)"
    st.metric("Prediction", value, help="The digit the network reads, and how sure it is.")
    if not sure:
        st.warning(f"Not sure: the top probability is under {threshold:.0%}.")
    st.plotly_chart(charts.probability_figure(probs, digit), key="probs")


def sweep_strip(model, digit: np.ndarray) -> None:
    sweep = rotation_sweep()
    digits = apply_probes(digit, sweep)
    probs = probabilities(model, digit_to_input(digits)).numpy()
    cols = st.columns(len(sweep))
    for col, probe, shown, p in zip(cols, sweep, digits, probs, strict=True):
        col.image(np.kron(shown, np.ones((3, 3))).clip(0, 1), clamp=True)
        col.caption(f"{probe.rotate:+.0f}°: **{int(p.argmax())}** ({p.max():.0%})")


def render() -> None:
    st.title("Draw a digit")
    st.caption(
        "Draw with the mouse (or a finger) in the black box. The network reads it after "
        "every stroke; small or off-centre digits are fine, they are centred the way "
        "MNIST's were."
    )
    if mnist() is None:
        return
    with st.sidebar:
        st.header("Model")
        chosen = models.choose_model()
        threshold = st.slider(
            "'Not sure' below", 0.3, 0.95, 0.7, 0.05, key="threshold", help=THRESHOLD_HELP
        )
    if chosen is None:
        return
    model_key, model = chosen
    left, middle, right = st.columns([1.3, 1, 1.1])
    with left:
        st.subheader("Your drawing")
        stroke = st.slider(
            "Pen width", 5, 40, 20, key="stroke", help="Thickness of the pen on the 280x280 canvas."
        )
        image = drawing_input(stroke)
        st.button(
            "Clear", on_click=clear_canvas, width="stretch", help="Wipe the canvas and start again."
        )
        a, b = st.columns(2)
        if a.button(
            "Random test digit",
            width="stretch",
            help="Show the network a digit from MNIST's test set.",
        ):
            pick_test_digit(model_key, model, wrong=False)
        if b.button(
            "One it gets wrong", width="stretch", help="A test digit that this model misreads."
        ):
            pick_test_digit(model_key, model, wrong=True)
        if notice := st.session_state.pop("draw_notice", None):
            st.info(notice)
    digit, source = base_digit(image)
    with st.expander("Robustness probes: rotate, shift, scale, thicken, add noise", expanded=True):
        probe = probe_controls()
    shown = apply_probes(digit, [probe])[0] if digit is not None else None
    probs = (
        probabilities(model, digit_to_input(shown[None]))[0].tolist() if shown is not None else None
    )
    st.session_state["current_digit"] = (shown, source) if shown is not None else None
    with middle:
        st.subheader("Prediction")
        st.caption(f"Input: {source}.")
        prediction_panel(probs, threshold)
    with right:
        st.subheader("What the network sees")
        if shown is None:
            st.caption("The 28x28 MNIST-style digit and the 32x32 input appear here.")
        else:
            st.plotly_chart(
                charts.pixels_figure(shown, "28x28, centred like MNIST", 250), key="px28"
            )
            model_input = digit_to_input(shown[None])[0, 0].numpy()
            st.plotly_chart(
                charts.pixels_figure(model_input, "32x32 model input, [-1, 1]", 250), key="px32"
            )
    if shown is not None:
        st.markdown("**Rotation sweep** — the same digit from −45° to +45°:")
        sweep_strip(model, digit)
