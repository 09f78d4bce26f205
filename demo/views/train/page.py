"""The Train page: settings in the sidebar; the run's buttons, its status and its charts right
under them (the result where the eye is); then its timeline, step by step, past runs and a link.

Training runs in a worker process (`demo.training.jobs`); this page only reads snapshots of it. The
live part is a fragment that reruns itself about once a second while a run is active, and stops
polling once it ends. Clicking elsewhere in the app reruns the script but never touches the job.
The buttons and starting a run are in `demo.views.train.controls`, the settings and their link
in `demo.views.train.settings`, the live run's pieces in `demo.views.train.live`; a reload finds
the tab's runs again (`demo.training.tab`).
"""

from __future__ import annotations

import streamlit as st

from demo.session.nickname import nickname, nickname_ui
from demo.session.settings import FIELDS, describe, settings_to_query
from demo.session.store_state import store_notice, store_problem
from demo.training import tab
from demo.training.jobs import JobSnapshot, TrainingJob
from demo.training.state import mnist
from demo.ui.screen import header, scroll_into_view
from demo.views.train import class_digits
from demo.views.train import results as train_results
from demo.views.train import runs as train_runs
from demo.views.train import step as train_step
from demo.views.train import timeline as train_timeline
from demo.views.train.controls import START_WAITING, control_buttons, start_when_known
from demo.views.train.live import (
    inside_view,
    live_charts,
    progress_bar,
    queued_notice,
    reload_notice,
    status_line,
)
from demo.views.train.settings import LEARN, apply_settings, current_settings, settings_ui
from lenet.training.presets import PRESETS

POLL_S = 1.0
# A run waiting in the class's queue only shows its place: its page asks every 3 s, not every
# second. With 30 students following their runs, 28 of them queued on 2 cores, the live part's
# reruns were the server's main load (benchmarks/README.md, "Watching costs little").
QUEUED_POLL_S = 3.0
CONTROLS_STATUS = "controls_status"  # the run's status the buttons were last drawn with


def poll_every(snap: JobSnapshot | None, pending: bool) -> float | None:
    """How often the live part reruns: every second while a run trains (or while the tab's
    answer is awaited), every QUEUED_POLL_S while it waits its turn, never with nothing to
    follow. A queued run that starts reruns the whole page (`live_body`), which sets it anew."""
    if pending or (snap is not None and snap.active and snap.status != "queued"):
        return POLL_S
    return QUEUED_POLL_S if snap is not None and snap.status == "queued" else None


def live_body() -> None:
    """The run's status and progress; its result once it has ended. Reruns the whole page when
    the run's state is not the one the buttons above were drawn with, so they follow it."""
    start_when_known()
    job: TrainingJob | None = st.session_state.get("job")
    snap = job.snapshot() if job is not None else None
    # The buttons above were drawn from an earlier look at the run (this part's runs redraw only
    # themselves): when the run has moved on since, draw the page anew. A run that turned from
    # starting to running between the two looks once left Pause greyed out for the whole run.
    if st.session_state.get(CONTROLS_STATUS, "") != (snap.status if snap else None):
        st.rerun()
    if snap is None:
        if st.session_state.get(START_WAITING):
            st.info("Starting your run...", icon=":material/hourglass_top:")
        else:
            st.info(
                "No run yet. Press **Start training**: the loss and accuracy charts grow here as "
                "the network learns.",
                icon=":material/play_circle:",
            )
        return
    # notes that come and go, in one container: what follows keeps its place in the page, so a
    # rerun replaces the queue's notice rather than showing it twice while it runs
    with st.container():
        if st.session_state.get("tab_adopted"):  # until the student acts on it (train_controls)
            reload_notice(snap, st.session_state.get("job_started"))
        if job.recorder is not None and job.recorder.run_id is None:  # the store is slow/down
            st.caption(
                "Waiting for the run store: your run trains and stays in this tab, and is saved "
                "for the class as soon as the store answers."
            )
    if snap.status == "queued":
        status_line(snap)
        queued_notice(snap)
        return
    if snap.active or snap.batches:  # a run that ended before its first batch: just why
        progress_bar(snap)
    else:
        status_line(snap)
    if snap.active and not train_timeline.shows_current():  # else the timeline draws them
        with st.container(key="result_charts"):
            st.caption("The run training now (the timeline below shows another run):")
            live_charts(snap)
            if job.model is not None:
                inside_view(job)
    if snap.active:
        return
    with st.container(key="result_outcome"):
        train_results.outcome(snap, job, st.session_state.get("job_values", current_settings()))


def settings_summary(locked: bool) -> None:
    """The settings in words above the run: the sidebar is folded away on a phone."""
    values = current_settings()
    where = (
        "Your teacher fixed them (lock=1 in the link)" if locked else "Change them in the sidebar"
    )
    changed = [FIELDS[k].label.lower() for k in settings_to_query(values) if k != "preset"]
    preset = PRESETS[values["preset"]].name + (
        f", changed: {', '.join(changed)}" if changed else ""
    )
    also = " Also learns from the class's digits." if st.session_state.get(LEARN) else ""
    line = f"**Settings** ({preset}): {describe(values)}.{also} *{where}.*"
    if locked:
        st.info(line, icon=":material/lock:")
    else:
        st.markdown(line, help=describe(values, full=True).capitalize() + ".")


def render() -> None:
    header(
        "Train LeNet-5",
        "Choose settings in the sidebar (on a phone: **>>** at the top left), press **Start "
        "training** and watch the network learn. Hover over a chart for exact values.",
    )
    for notice in st.session_state["link_notices"]:
        # Markdown built safely: demo.session.link_values
        st.warning(notice, icon=":material/link_off:")
    if mnist() is None:
        return
    job: TrainingJob | None = st.session_state.get("job")
    snap = job.snapshot() if job is not None else None  # one view of the run for the controls
    active = snap is not None and snap.active
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
        class_digits.toggle(disabled=locked or active)
    settings_summary(locked)
    control_buttons(snap)
    st.session_state[CONTROLS_STATUS] = snap.status if snap else None
    every = poll_every(snap, tab.pending())  # a run to follow, or the tab's answer to wait for
    with st.container(key="result_live"):
        st.fragment(run_every=every)(live_body)()
        runs = train_runs.your_runs(nickname())  # one read of the store for both sections
        train_timeline.section(job, runs)
        train_results.per_digit(job)
    if job is not None:  # on a projector or a phone: the charts in view after Start (with the
        # buttons above them), the result when the run ends
        ended = not job.snapshot().active
        shown = "result_outcome" if ended else "result_charts"
        scroll_into_view("run_controls", f"{job.job_id}{'-end' if ended else ''}", shown)
    train_step.section()  # its own model: a live run above is not disturbed
    train_runs.compare_runs(nickname(), runs, locked or active, apply_settings)
    train_results.share_box(current_settings(), locked)
