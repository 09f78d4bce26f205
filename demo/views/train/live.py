"""The live run on the Train page: its status, progress, growing charts and conv1 at work.

Drawn by `demo.views.train`'s polling fragment from a `JobSnapshot`; nothing here changes a run.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import streamlit as st

from demo.figures import inside, train_charts
from demo.training.jobs import JobSnapshot, TrainingJob
from demo.training.state import job_slots, mnist
from demo.ui.screen import chart
from lenet.data.preprocess import digit_to_input
from lenet.explain.features import feature_maps

STEADY_AFTER_STEPS = 10

STATUS_WORDS = {"done": "finished"}  # as the result line and the Class page say it
STATUS_BADGES = {
    "queued": "gray",
    "starting": "gray",
    "running": "blue",
    "pausing": "orange",
    "paused": "orange",
    "stopping": "violet",
    "stopped": "violet",
    "done": "green",
    "diverged": "red",
    "failed": "red",
}


def status_line(snap: JobSnapshot, detail: str = "") -> None:
    """**Status:** and a badge, then `detail` (the progress, or why it waits) on one line."""
    status = snap.status
    text = STATUS_WORDS.get(status, status)
    if status == "queued" and snap.queue_position:
        text = f"queued (position {snap.queue_position})"
    detail = job_slots().busy_line() if status == "queued" else detail
    st.markdown(f"**Status:** :{STATUS_BADGES[status]}-badge[{text}] {detail}")


def progress_bar(snap: JobSnapshot) -> None:
    """The status with how far the run is, over a bar: one line and a bar, so that the charts
    below stay in the first screen."""
    if snap.started is None or not snap.batches:
        status_line(snap, "Waiting for the first batch...")
        st.progress(0.0)
        return
    last, total = snap.batches[-1], snap.started.total_steps
    left = snap.seconds_left
    # the speed once the first batches' set-up is behind it (the first batch alone read "about
    # 371 s left" for a run of 14 s), not while paused; the time left only while it trains
    steady = last.step >= STEADY_AFTER_STEPS and snap.status not in ("pausing", "paused")
    speed = f" · {last.samples_per_s:,.0f} images a second{on_cores(snap)}" if steady else ""
    running = steady and snap.status == "running" and left is not None
    eta = f" · about {left:.0f} s left" if running else ""
    status_line(
        snap,
        f"Epoch {last.epoch:.2f} of {snap.config.epochs} · step {last.step:,} of "
        f"{total:,}{speed}{eta}",
    )
    st.progress(min(1.0, snap.progress))


def on_cores(snap: JobSnapshot) -> str:
    """While it trains held to fewer threads than the server has cores (other runs or other work
    have the rest): " using 1 of the server's 2 cores", never broken across lines; else ""."""
    if snap.status == "running" and 0 < snap.threads < snap.cores:
        return f" using {snap.threads} of the server's {snap.cores} cores".replace(" ", "\u00a0")
    return ""


def live_charts(snap: JobSnapshot) -> None:
    epochs = snap.config.epochs
    left, middle, right = st.columns([5, 5, 4])
    total = snap.started.total_steps if snap.started else None
    chart(left, train_charts.loss_figure(snap.batches, epochs, total), key="loss_chart")
    chart(middle, train_charts.accuracy_figure(snap.evaluations, epochs), key="acc_chart")
    chart(right, train_charts.lr_figure(snap.batches, epochs), key="lr_chart")


def pinned_digit() -> tuple[np.ndarray, str]:
    """The digit whose conv1 maps are watched: the last drawing, else MNIST's first test 7."""
    drawn = st.session_state.get("current_digit")
    if drawn is not None:
        return drawn[0], "your last drawing"
    return mnist().test_digits[0] / np.float32(255), "test digit #0"


def inside_view(job: TrainingJob) -> None:
    """conv1's kernels and a pinned digit's conv1 maps from the run's latest weights (they
    arrive every 2 s and at each evaluation). Drawn as PNGs, rebuilt only when the weights
    change: an unchanged image costs the server and the browser nothing on the next poll."""
    digit, source = pinned_digit()
    version = (job.job_id, job.model_version, source)
    cached = st.session_state.get("inside_images")
    if cached is None or cached[0] != version:
        model = job.model
        maps = feature_maps(model, digit_to_input(digit))["conv1"][0].numpy()
        kernels = model.conv1.weight.detach()[:, 0].numpy()
        cached = (
            version,
            inside.grid_png(kernels, 6, "conv1 kernels", "kernel", zoom=12, signed=True),
            inside.grid_png(maps, 6, f"conv1 maps of {source}", zoom=3),
        )
        st.session_state["inside_images"] = cached
    st.markdown(
        "**Inside the network, live**: the six conv1 filters (blue negative, red "
        "positive) and what they make of one digit, redrawn as the weights change."
    )
    left, right = st.columns(2)
    left.image(cached[1], alt="The six conv1 kernels, blue negative and red positive")
    right.image(cached[2], alt=f"The six conv1 maps of {source}")


def queued_notice(snap: JobSnapshot) -> None:
    if trouble := job_slots().trouble():  # a Ray cluster that does not answer: not "busy"
        st.warning(
            f"{trouble}. Your run waits for it and stops with a message if it cannot start. "
            "You can draw and inspect meanwhile.",
            icon=":material/cloud_off:",
        )
        return
    if job_slots().starting() and (snap.queue_position or 1) == 1:
        st.info(
            "Starting your run on the Ray cluster: its worker loads PyTorch and MNIST, a few "
            "seconds. You can draw and inspect meanwhile.",
            icon=":material/rocket_launch:",
        )
        return
    ahead = (snap.queue_position or 1) - 1
    line = (
        "Your run is taking its place in line"
        if snap.queue_position is None
        else "You are next in line"
        if ahead == 0
        else f"{ahead} run{'s wait' if ahead > 1 else ' waits'} ahead of yours"
    )
    st.info(
        f"{job_slots().full_line}. {line}; your run starts by itself "
        "as soon as one frees up. You can draw and inspect meanwhile.",
        icon=":material/hourglass_top:",
    )


def reload_notice(snap: JobSnapshot, started: datetime | None) -> None:
    """After a reload: the run shown is the one this tab had, not a new one."""
    when = f" you started at {started:%H:%M:%S}" if started else ""
    going = (
        "it went on training while the page reloaded"
        if snap.active
        else f"it has ended ({snap.status})"
    )
    st.info(f"Page reloaded: this is the same run{when}; {going}.", icon=":material/sync:")
