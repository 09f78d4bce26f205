"""The Train page's step-by-step section: one minibatch of training per click, shown whole.

The model belongs to this tab (`lenet.training.step_by_step.StepByStep` in session state), never
shared and never the live run's, so it works while a run trains without touching it. A step (a
fraction of a second) runs in the Step button's callback, in the page's own script run; no Streamlit
call inside it, so a fast second click cannot cut a step in half. It starts from the current
settings' seeded initial weights and takes the batches a run with those settings takes, with
full-size steps from the first (`lenet.training.step_by_step.step_rate`), which the page says; new
settings start it again.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import streamlit as st

from demo.session.settings import config_from_settings
from demo.training.state import mnist
from demo.ui.screen import scroll_into_view
from demo.views.train.settings import current_settings
from lenet.config import TrainConfig
from lenet.errors import ConfigError
from lenet.training.advice import advise
from lenet.training.step_by_step import StepByStep, StepResult, as_pixels, step_rate
from lenet.training.trainer import DIVERGED_LOSS

KEY = "step_by_step"  # the tab's StepByStep
SHOWN = 16  # images of the minibatch shown
ZOOM = 3  # 32 x 32 inputs drawn at 96 x 96, shown at 88 px: three tiles a row on a phone
# the tiles whose prediction the step changed get an orange frame (keyed containers' CSS class)
CHANGED_CSS = (
    "<style>[class*='st-key-step_changed_'] {border: 3px solid #f28e2b; border-radius: 0.5rem;"
    " padding: 2px;}</style>"
)


def stepper(config: TrainConfig) -> StepByStep:
    """The tab's step-by-step model for these settings (a new one when they changed)."""
    current: StepByStep | None = st.session_state.get(KEY)
    if current is not None and current.config == dataclasses.replace(config, device="cpu"):
        return current
    if current is not None and current.steps:
        st.session_state["step_restarted"] = True
    st.session_state[KEY] = StepByStep(config, mnist())
    return st.session_state[KEY]


def on_step() -> None:
    """Button callback: one minibatch, before the page is drawn again."""
    current: StepByStep | None = st.session_state.get(KEY)
    if current is not None and not current.finished:
        current.step()


def on_reset() -> None:
    current: StepByStep | None = st.session_state.get(KEY)
    if current is not None:
        current.reset()


def controls(current: StepByStep) -> None:
    """Step, Reset and the step counter, on one line (wrapping on a phone)."""
    with st.container(horizontal=True, vertical_alignment="center", key="step_controls"):
        st.button(
            "Step",
            key="step_one",
            type="primary",
            icon=":material/skip_next:",
            disabled=current.finished,
            on_click=on_step,
            help="Train your model on the next batch of images: one learning step.",
        )
        st.button(
            "Reset",
            key="step_reset",
            icon=":material/restart_alt:",
            disabled=current.steps == 0,
            on_click=on_reset,
            help="Go back to the starting weights and the first batch (step 0).",
        )
        st.markdown(f"**Step {current.steps:,}** of {current.total_steps:,}")
    if current.finished:
        st.caption("That is the whole run these settings make. **Reset** to start again.")


def losses(result: StepResult, batch: int) -> None:
    """The minibatch's loss and right answers before and after the step."""
    with st.container(horizontal=True):
        st.metric(
            "Loss before",
            f"{result.loss_before:.4f}",
            help="The loss of this batch before the step: what the step went down from.",
        )
        st.metric(
            "Loss after",
            f"{result.loss_after:.4f}",
            delta=f"{result.loss_after - result.loss_before:+.4f}",
            delta_color="inverse",
            help="The same batch's loss after the step (lower is better).",
        )
        st.metric(
            "Right after the step",
            f"{result.right_after} / {batch}",
            delta=result.right_after - result.right_before,
            help="Images of this batch read right after the step (the change: since before it).",
        )


def _mark(digit: int, label: int) -> str:
    return f":green[✓ {digit}]" if digit == label else f":red[✗ {digit}]"


def tiles(result: StepResult, data) -> None:
    """The batch's first images, each with its label and the prediction before → after."""
    shown = result.indices[:SHOWN]
    pixels = as_pixels(data.train.images[shown])
    st.html(CHANGED_CSS)
    with st.container(horizontal=True, gap="small", key="step_tiles"):
        for i in range(len(shown)):
            label, before, after = (int(t[i]) for t in (result.labels, result.before, result.after))
            changed = before != after
            key = f"step_changed_{i}" if changed else f"step_same_{i}"
            with st.container(width=96, gap=None, horizontal_alignment="center", key=key):
                st.image(
                    np.kron(pixels[i], np.ones((ZOOM, ZOOM), np.uint8)),
                    width=88,
                    alt=f"Handwritten digit, labelled {label}",
                )
                st.markdown(f"label **{label}**  \n{_mark(before, label)} → {_mark(after, label)}")


def frames_note(changed: int) -> str:
    """What the orange frames mark, only when some tile has one."""
    if changed == 0:
        return "None of these predictions changed this step."
    if changed == 1:
        return "An orange frame marks the one prediction this step changed."
    return f"Orange frames mark the {changed} predictions this step changed."


def result_view(result: StepResult, data, config: TrainConfig) -> None:
    shown = min(SHOWN, len(result.indices))
    losses(result, len(result.indices))
    if not math.isfinite(result.loss_after) or result.loss_after > DIVERGED_LOSS:
        st.warning(
            f"The loss has blown up: it is above {DIVERGED_LOSS:g}, or not a number. Each step "
            "now makes things worse, and a run would stop here. Try learning rate "
            f"{advise(config, diverged=True).lr:g} in the settings.",
            icon=":material/warning:",
        )
    st.caption(
        f"Step {result.step} trained on {len(result.indices)} images (epoch {result.epoch}) at "
        f"learning rate {result.lr:.3g}. Below are the first {shown}. Under each: its label, "
        f"then the digit the network read before → after the step (✓ right, ✗ wrong). "
        f"{frames_note(int(result.changed[:shown].sum()))}"
    )
    tiles(result, data)


def rate_note(config: TrainConfig) -> str:
    """How big step by step's steps are, and why its weights may differ from a run's."""
    rate = f"{config.lr:g}"
    notes = []
    if config.scheduler == "onecycle":
        notes.append(
            f"A run starts with small steps and works up to your learning rate, {rate}. "
            f"Here every step uses {rate}."
        )
    elif config.scheduler != "none":
        notes.append(f"A run lowers its learning rate as it goes, but here it stays at {rate}.")
    if config.optimizer == "sgd" and config.momentum > 0:
        notes.append(
            f"With momentum, a run's first steps are small: they grow over about "
            f"{round(2 / (1 - config.momentum)):,} steps. Here they are full size at once: the "
            f"learning rate starts at {step_rate(config, 1):.3g} and falls to the {rate} you chose."
        )
    if not notes:
        return f"Each step uses learning rate {rate}, as a run with these settings does."
    return " ".join(
        ["Each step here is full size, so that you can see it learn.", *notes]
        + ["So your weights will differ a little from a run's."]
    )


def section() -> None:
    """The expander with the step-by-step model of the current settings."""
    with st.expander("Step by step: train one batch at a time", icon=":material/footprint:"):
        try:
            config = config_from_settings(current_settings())
        except ConfigError as error:
            st.error(str(error))
            return
        current = stepper(config)
        st.caption(
            "A network of your own, with the starting weights these settings give. Each **Step** "
            "trains it on the next batch of images, in the order a run with these settings "
            "uses. It is separate from any run: a run training above is not disturbed."
        )
        st.caption(rate_note(config))
        if st.session_state.pop("step_restarted", False):
            st.info("The settings changed, so stepping starts again from step 0.")
        controls(current)
        if current.steps:  # each step's 16 readings in view with the button (projector, phone)
            scroll_into_view("step_controls", id(current.last), visible="step_tiles")
        if current.last is not None:
            result_view(current.last, mnist(), current.config)
