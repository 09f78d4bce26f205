"""The Train page: settings on the left, a live run on the right, past runs and a share link below.

Training runs in a worker thread (`demo.jobs`); this page only reads snapshots of it. The live
part is a fragment that reruns itself about once a second while a run is active, and stops
polling once it ends. Clicking elsewhere in the app reruns the script but never touches the job.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from demo import charts, inside
from demo.jobs import JobSnapshot, TrainingJob
from demo.settings import (
    FIELDS,
    config_from_settings,
    preset_settings,
    settings_from_query,
    settings_to_query,
)
from demo.state import data_source, job_slots, mnist, session_id, session_reaper
from demo.views import train_results
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


def key(name: str) -> str:
    return f"set_{name}"


def current_settings() -> dict:
    return {name: st.session_state[key(name)] for name in FIELDS}


def apply_settings(values: dict) -> None:
    for name, value in values.items():
        if name in FIELDS:
            st.session_state[key(name)] = value


def init_from_link() -> None:
    """Once per session: the settings from the link (or the Classic preset), with notices."""
    if st.session_state.get("settings_ready"):
        return
    values, notices, locked = settings_from_query(st.query_params.to_dict())
    apply_settings(values)
    st.session_state.update(
        settings_ready=True, link_notices=notices, locked=locked, runs=[], job=None
    )


def on_preset_change() -> None:
    apply_settings(preset_settings(st.session_state[key("preset")]))


def settings_ui(disabled: bool) -> None:
    """The controls, each with help text; they only fill session state."""
    f = FIELDS
    st.selectbox(
        f["preset"].label,
        f["preset"].choices,
        key=key("preset"),
        help=f["preset"].help,
        format_func=lambda name: PRESETS[name].name,
        on_change=on_preset_change,
        disabled=disabled,
    )
    st.caption(PRESETS[st.session_state[key("preset")]].summary)
    st.number_input(
        f["epochs"].label,
        f["epochs"].low,
        f["epochs"].high,
        step=1,
        key=key("epochs"),
        help=f["epochs"].help,
        disabled=disabled,
    )
    st.select_slider(
        f["batch_size"].label,
        f["batch_size"].choices,
        key=key("batch_size"),
        help=f["batch_size"].help,
        disabled=disabled,
    )
    st.selectbox(
        f["optimizer"].label,
        f["optimizer"].choices,
        key=key("optimizer"),
        help=f["optimizer"].help,
        disabled=disabled,
        format_func={"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}.get,
    )
    st.select_slider(
        f["lr"].label,
        f["lr"].choices,
        key=key("lr"),
        help=f["lr"].help,
        format_func=lambda v: f"{v:g}",
        disabled=disabled,
    )
    st.select_slider(
        f["momentum"].label,
        f["momentum"].choices,
        key=key("momentum"),
        help=f["momentum"].help,
        disabled=disabled or st.session_state[key("optimizer")] != "sgd",
    )
    st.select_slider(
        f["weight_decay"].label,
        f["weight_decay"].choices,
        key=key("weight_decay"),
        help=f["weight_decay"].help,
        format_func=lambda v: f"{v:g}",
        disabled=disabled,
    )
    st.selectbox(
        f["scheduler"].label,
        f["scheduler"].choices,
        key=key("scheduler"),
        help=f["scheduler"].help,
        disabled=disabled,
    )
    st.radio(
        f["activation"].label,
        f["activation"].choices,
        key=key("activation"),
        help=f["activation"].help,
        horizontal=True,
        disabled=disabled,
    )
    st.radio(
        f["pooling"].label,
        f["pooling"].choices,
        key=key("pooling"),
        help=f["pooling"].help,
        horizontal=True,
        disabled=disabled,
    )
    st.select_slider(
        f["train_size"].label,
        f["train_size"].choices,
        key=key("train_size"),
        help=f["train_size"].help,
        disabled=disabled,
        format_func=lambda n: "all 54,000" if n >= 54_000 else f"{n:,}",
    )
    st.number_input(
        f["seed"].label,
        f["seed"].low,
        f["seed"].high,
        step=1,
        key=key("seed"),
        help=f["seed"].help,
        disabled=disabled,
    )
    st.number_input(
        f["evals_per_epoch"].label,
        f["evals_per_epoch"].low,
        f["evals_per_epoch"].high,
        step=1,
        key=key("evals_per_epoch"),
        help=f["evals_per_epoch"].help,
        disabled=disabled,
    )
    if torch.cuda.is_available():
        st.selectbox(
            f["device"].label,
            f["device"].choices,
            key=key("device"),
            help=f["device"].help,
            disabled=disabled,
        )


def sync_link() -> None:
    """Keep the address bar's query string equal to the current settings."""
    wanted = settings_to_query(current_settings(), st.session_state["locked"])
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def start_job() -> str | None:
    """Start a run with the current settings; an error message when they cannot work."""
    values = current_settings()
    try:
        config = config_from_settings(values)
    except ConfigError as error:
        return str(error)
    if mnist() is None:
        return "MNIST is not available: see the message above."
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
    left.plotly_chart(charts.loss_figure(snap.batches, epochs, total), key="loss_chart")
    middle.plotly_chart(charts.accuracy_figure(snap.evaluations, epochs), key="acc_chart")
    right.plotly_chart(charts.lr_figure(snap.batches, epochs), key="lr_chart")


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
        st.info(
            "No run yet. Choose settings on the left (or keep a preset) and press "
            "**Start training**: the loss and accuracy charts grow here as the network learns."
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


def render() -> None:
    init_from_link()
    st.title("Train LeNet-5 on MNIST")
    st.caption(
        "Pick settings on the left, press **Start training**, and watch the network learn. "
        "Hover over any chart for exact values."
    )
    for notice in st.session_state["link_notices"]:
        st.warning(f"Link: {notice}.", icon=":material/link_off:")
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
    sync_link()
    st.fragment(run_every=POLL_S if active else None)(live_body)()
    train_results.compare_runs(locked or active, apply_settings)
    train_results.share_box(current_settings(), locked)
