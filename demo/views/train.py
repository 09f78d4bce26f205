"""The Train page: settings in the sidebar, a live run in the middle, past runs and a share link.

Training runs in a worker process (`demo.jobs`); this page only reads snapshots of it. The live
part is a fragment that reruns itself about once a second while a run is active, and stops
polling once it ends. Clicking elsewhere in the app reruns the script but never touches the job.
The settings and their link are in `demo.views.train_settings`.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from demo import inside, train_charts
from demo.jobs import JobSnapshot, TrainingJob
from demo.settings import FIELDS, config_from_settings, describe, settings_to_query
from demo.state import data_source, job_slots, mnist, session_id, session_reaper
from demo.text import plain
from demo.views import train_results
from demo.views.train_settings import apply_settings, current_settings, settings_ui
from lenet.errors import ConfigError
from lenet.features import feature_maps
from lenet.preprocess import digit_to_input
from lenet.presets import PRESETS

POLL_S = 1.0
STATUS_BADGES = {
    "queued": "gray",
    "starting": "gray",
    "running": "blue",
    "paused": "orange",
    "stopped": "violet",
    "done": "green",
    "diverged": "red",
    "failed": "red",
}


def start_job() -> str | None:
    """Start a run with the current settings; an error message when they cannot work."""
    values = current_settings()
    try:
        config = config_from_settings(values)
    except ConfigError as error:
        return str(error)
    if mnist() is None:
        return "MNIST is not available: see the message above."
    previous: TrainingJob | None = st.session_state.get("job")
    if previous is not None and not previous.snapshot().active:  # kept in the runs table
        train_results.remember_run(previous.snapshot(), previous, st.session_state["job_values"])
    job = TrainingJob(config, data_source(), job_slots()).start()
    st.session_state["job"] = job
    st.session_state["job_values"] = values
    session_reaper().watch(session_id(), job)
    return None


def on_start() -> None:
    st.session_state["start_error"] = start_job()


def on_control(action: str) -> None:
    job: TrainingJob | None = st.session_state.get("job")
    if job is not None:
        getattr(job, action)()


def control_buttons(snap: JobSnapshot | None) -> None:
    """Start / Pause / Resume / Stop, enabled only when they make sense. Callbacks act before
    the rerun, so the page drawn next already shows the new state."""
    active = snap is not None and snap.active
    status = snap.status if snap else None
    cols = st.columns(4)
    cols[0].button(
        "Start training",
        type="primary",
        disabled=active,
        width="stretch",
        on_click=on_start,
        help="Train a new network with the settings on the left.",
    )
    cols[1].button(
        "Pause",
        disabled=status != "running",
        width="stretch",
        on_click=on_control,
        args=("pause",),
        help="Freeze training after the current batch.",
    )
    cols[2].button(
        "Resume",
        disabled=status != "paused",
        width="stretch",
        on_click=on_control,
        args=("resume",),
        help="Carry on training from where it paused.",
    )
    cols[3].button(
        "Stop",
        disabled=not active,
        width="stretch",
        on_click=on_control,
        args=("stop",),
        help="End the run now; the network keeps what it has learned.",
    )
    error = st.session_state.pop("start_error", None)
    if error:
        st.error(error)


def status_line(snap: JobSnapshot) -> None:
    status = snap.status
    text = f"queued (position {snap.queue_position})" if status == "queued" else status
    slots = job_slots()
    running, waiting = slots.counts()
    detail = (
        f"{running} of {slots.capacity} training slots busy on this server, {waiting} waiting"
        if status == "queued"
        else ""
    )
    st.markdown(f"**Status:** :{STATUS_BADGES[status]}-badge[{text}] {detail}")


def progress_bar(snap: JobSnapshot) -> None:
    if snap.started is None or not snap.batches:
        st.progress(0.0, text="Waiting for the first batch...")
        return
    last, total = snap.batches[-1], snap.started.total_steps
    left = snap.seconds_left
    eta = f" · about {left:.0f} s left" if left is not None and snap.active else ""
    st.progress(
        min(1.0, snap.progress),
        text=f"Epoch {last.epoch:.2f} of {snap.config.epochs} · step {last.step:,} of "
        f"{total:,} · {last.samples_per_s:,.0f} images/s{eta}",
    )


def live_charts(snap: JobSnapshot) -> None:
    epochs = snap.config.epochs
    left, middle, right = st.columns([5, 5, 4])
    total = snap.started.total_steps if snap.started else None
    left.plotly_chart(train_charts.loss_figure(snap.batches, epochs, total), key="loss_chart")
    middle.plotly_chart(train_charts.accuracy_figure(snap.evaluations, epochs), key="acc_chart")
    right.plotly_chart(train_charts.lr_figure(snap.batches, epochs), key="lr_chart")


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
    left.image(cached[1])
    right.image(cached[2])


def live_body() -> None:
    job: TrainingJob | None = st.session_state.get("job")
    snap = job.snapshot() if job is not None else None
    control_buttons(snap)
    if snap is None:
        choose = (
            ""
            if st.session_state["locked"]
            else "Choose settings in the sidebar (or keep a preset) and "
        )
        st.info(
            f"No run yet. {choose}{'press' if choose else 'Press'} **Start training**: the loss "
            "and accuracy charts grow here as the network learns."
        )
        return
    status_line(snap)
    # A run that starts or ends redraws the whole page: the settings are locked or freed, and
    # the fragment starts or stops polling.
    if snap.active and not st.session_state.get("polling"):
        st.session_state["polling"] = True
        st.rerun()
    if snap.status == "queued":
        ahead = (snap.queue_position or 1) - 1
        line = (
            "You are next in line"
            if ahead == 0
            else f"{ahead} run{'s' if ahead > 1 else ''} wait ahead of yours"
        )
        st.info(
            f"Every training slot on this server is busy. {line}; your run starts by itself "
            "as soon as one frees up. You can draw and inspect meanwhile.",
            icon=":material/hourglass_top:",
        )
        return
    progress_bar(snap)
    live_charts(snap)
    if job.model is not None:
        inside_view(job)
    if snap.active:
        return
    train_results.outcome(snap, job, st.session_state.get("job_values", current_settings()))
    if st.session_state.pop("polling", False):
        st.rerun()


def settings_summary(locked: bool) -> None:
    """The settings in one line above the run: the sidebar is folded away on a phone."""
    values = current_settings()
    where = "Fixed by your teacher (lock=1 in the link)" if locked else "Change them in the sidebar"
    changed = [FIELDS[k].label.lower() for k in settings_to_query(values) if k != "preset"]
    preset = PRESETS[values["preset"]].name + (
        f", changed: {', '.join(changed)}" if changed else ""
    )
    line = f"**Settings** ({preset}): {describe(values)}. *{where}.*"
    if locked:
        st.info(line, icon=":material/lock:")
    else:
        st.markdown(line)


def render() -> None:
    st.title("Train LeNet-5 on MNIST")
    st.caption(
        "Choose settings in the sidebar (on a phone: the **>>** at the top left), press "
        "**Start training**, and watch the network learn. Hover over any chart for exact values."
    )
    for notice in st.session_state["link_notices"]:
        st.warning(f"Link: {plain(notice)}.", icon=":material/link_off:")
    if mnist() is None:
        return
    job: TrainingJob | None = st.session_state.get("job")
    active = job is not None and job.snapshot().active
    locked = st.session_state["locked"]
    with st.sidebar:
        st.header("Settings")
        if locked:
            st.info(
                "Your teacher fixed these settings (the link has lock=1).", icon=":material/lock:"
            )
        settings_ui(disabled=locked or active)
    settings_summary(locked)
    st.fragment(run_every=POLL_S if active else None)(live_body)()
    train_results.compare_runs(locked or active, apply_settings)
    train_results.share_box(current_settings(), locked)
