"""The Train page: settings in the sidebar, a live run in the middle, past runs and a share link.

Training runs in a worker process (`demo.jobs`); this page only reads snapshots of it. The live
part is a fragment that reruns itself about once a second while a run is active, and stops
polling once it ends. Clicking elsewhere in the app reruns the script but never touches the job.
The settings and their link are in `demo.views.train_settings`, the live run's pieces in
`demo.views.train_live`; a reload finds the tab's runs again (`demo.tab`).
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from demo import tab
from demo.jobs import JobSnapshot, TrainingJob
from demo.nickname import nickname, nickname_ui
from demo.settings import FIELDS, config_from_settings, describe, settings_to_query
from demo.slots import JobSlots, train_threads
from demo.state import data_source, job_slots, mnist, session_id, session_reaper
from demo.store_state import server_owner, store_notice, store_problem, store_writer
from demo.views import train_results, train_runs, train_step, train_timeline
from demo.views.train_live import (
    inside_view,
    live_charts,
    progress_bar,
    queued_notice,
    reload_notice,
    status_line,
)
from demo.views.train_settings import apply_settings, current_settings, settings_ui
from demo.worker import DataSource
from lenet.errors import ConfigError
from lenet.presets import PRESETS
from lenet.recorder import RunRecorder
from lenet.store import StoreError

POLL_S = 1.0


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
    slots = job_slots()
    if isinstance(slots, JobSlots):
        job = TrainingJob(
            config, data_source(), slots, train_threads(), recorder=recorder(config, values)
        ).start()
    else:  # LENET_RAY_ADDRESS: a Ray actor on the cluster, its node's MNIST (demo.ray_jobs)
        from demo.ray_jobs import RayTrainingJob

        job = RayTrainingJob(
            config, DataSource(verified=True), slots, recorder=recorder(config, values)
        ).start()
    st.session_state["job"] = job
    st.session_state["job_values"] = values
    st.session_state["job_started"] = datetime.now()
    st.session_state.pop("tab_adopted", None)  # a new run: no longer the one before a reload
    train_timeline.forget()
    session_reaper().watch(session_id(), job)
    return None


def recorder(config, values: dict) -> RunRecorder | None:
    """The new run's row in the run store (None without a store: the run lives in the tab)."""
    writer = store_writer()
    if writer is None:
        return None
    try:
        return RunRecorder(writer, nickname(), config, values, "app", server_owner())
    except StoreError as error:  # this run only: it lives in the tab, and the tab says why
        st.session_state["store_error"] = str(error)
        return None


def on_start() -> None:
    st.session_state["start_error"] = start_job()


def on_control(action: str) -> None:
    job: TrainingJob | None = st.session_state.get("job")
    if job is not None:
        getattr(job, action)()


def control_buttons(snap: JobSnapshot | None, waiting: bool = False) -> None:
    """Start / Pause / Resume / Stop, enabled only when they make sense (Start waits while the
    tab may still have a run). Callbacks act before the rerun, so the page drawn next already
    shows the new state."""
    active = snap is not None and snap.active
    status = snap.status if snap else None
    cols = st.columns(4)
    cols[0].button(
        "Start training",
        type="primary",
        disabled=active or waiting,
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
        disabled=status not in ("pausing", "paused"),
        width="stretch",
        on_click=on_control,
        args=("resume",),
        help="Carry on training from where it paused.",
    )
    cols[3].button(
        "Stop",
        disabled=not active or status == "stopping",
        width="stretch",
        on_click=on_control,
        args=("stop",),
        help="End the run now; the network keeps what it has learned.",
    )
    error = st.session_state.pop("start_error", None)
    if error:
        st.error(error)


def live_body() -> None:
    job: TrainingJob | None = st.session_state.get("job")
    snap = job.snapshot() if job is not None else None
    waiting = snap is None and tab.pending()
    control_buttons(snap, waiting)
    if waiting:
        st.session_state["tab_waiting"] = True
        st.info("Looking for this tab's run...", icon=":material/hourglass_empty:")
        return
    if st.session_state.pop("tab_waiting", False):  # the page never said: stop polling
        st.rerun()
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
    if st.session_state.get("tab_adopted"):
        reload_notice(snap, st.session_state.get("job_started"))
    status_line(snap)
    # A run that starts or ends redraws the whole page: the settings are locked or freed, and
    # the fragment starts or stops polling.
    if snap.active and not st.session_state.get("polling"):
        st.session_state["polling"] = True
        st.rerun()
    if snap.status == "queued":
        queued_notice(snap)
        return
    if snap.active or snap.batches:  # a run that ended before its first batch: just why
        progress_bar(snap)
    if snap.active and not train_timeline.shows_current():  # else the timeline draws them
        st.caption("The run training now (the timeline below shows another run):")
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
        st.warning(notice, icon=":material/link_off:")  # Markdown built safely: demo.link_values
    if mnist() is None:
        return
    job: TrainingJob | None = st.session_state.get("job")
    active = job is not None and job.snapshot().active
    nickname_ui(disabled=active)
    if problem := store_problem() or st.session_state.pop("store_error", None):
        st.warning(store_notice(problem), icon=":material/cloud_off:")
    locked = st.session_state["locked"]
    with st.sidebar:
        st.header("Settings")
        if locked:
            st.info(
                "Your teacher fixed these settings (the link has lock=1).", icon=":material/lock:"
            )
        settings_ui(disabled=locked or active)
    settings_summary(locked)
    polling = active or tab.pending()  # a run to follow, or the tab's answer to wait for
    st.fragment(run_every=POLL_S if polling else None)(live_body)()
    train_step.section()  # its own model: a live run above is not disturbed
    runs = train_runs.your_runs(nickname())  # one read of the store for both sections
    train_timeline.section(job, runs)
    train_runs.compare_runs(nickname(), runs, locked or active, apply_settings)
    train_results.share_box(current_settings(), locked)
