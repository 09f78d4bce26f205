"""The Train page's run controls: Start (and the run it starts, with its row in the run store),
Pause, Resume and Stop.

Start works at once, even in the moment after a page opens when it does not yet know whether
its browser tab has a run going (`demo.training.tab`): the start then waits for that answer
(`start_when_known`, called by the page's polling part) instead of the button being disabled.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from demo.session.nickname import nickname
from demo.session.settings import config_from_settings
from demo.session.store_state import server_owner, store_writer
from demo.training import tab
from demo.training.jobs import JobSnapshot, TrainingJob
from demo.training.slots import JobSlots, train_threads
from demo.training.state import (
    class_runs_now,
    data_source,
    job_slots,
    mnist,
    session_id,
    session_reaper,
)
from demo.training.worker import DataSource
from demo.views.train import class_digits
from demo.views.train import results as train_results
from demo.views.train import timeline as train_timeline
from demo.views.train.settings import current_settings
from lenet.errors import ConfigError
from lenet.store.recorder import RunRecorder
from lenet.store.runs import StoreError

START_WAITING = "start_waiting"  # Start pressed before the tab said which it is


def start_job() -> str | None:
    """Start a run with the current settings; an error message when they cannot work."""
    values = current_settings()
    try:
        config = config_from_settings(values)
    except ConfigError as error:
        return str(error)
    if isinstance(learning := class_digits.chosen(config), str):
        return learning
    config, digits = learning
    if mnist() is None:
        return "MNIST is not available: see the message above."
    previous: TrainingJob | None = st.session_state.get("job")
    if previous is not None and previous.snapshot().active:  # a forged Start: one run a tab
        return "This tab has a run going already: stop it first."
    fair, who, where = class_runs_now(), nickname(), tab_key()
    if refused := fair.refusal(who, where):
        return refused
    if previous is not None and not previous.snapshot().active:  # kept in the runs table
        train_results.remember_run(previous.snapshot(), previous, st.session_state["job_values"])
    slots = job_slots()
    if isinstance(slots, JobSlots):
        job = TrainingJob(
            config,
            data_source(),
            slots,
            train_threads(),
            recorder=recorder(config, values),
            class_digits=digits,
        ).start()
    else:  # LENET_RAY_ADDRESS: a Ray actor on the cluster, its node's MNIST
        from demo.training.cluster.jobs import RayTrainingJob

        job = RayTrainingJob(
            config,
            DataSource(verified=True),
            slots,
            recorder=recorder(config, values),
            class_digits=digits,
        ).start()
    fair.add(job, who, where)
    st.session_state["job"] = job
    st.session_state["job_values"] = values
    st.session_state["job_started"] = datetime.now()
    st.session_state.pop("tab_adopted", None)  # a new run: no longer the one before a reload
    train_timeline.forget()
    session_reaper().watch(session_id(), job)
    return None


def tab_key() -> str:
    """The browser tab, for one start every few seconds: its token (a reload keeps it), else
    its session."""
    return st.session_state.get("tab_token") or session_id()


def recorder(config, values: dict) -> RunRecorder | None:
    """The new run's row in the run store (None without a store: the run lives in the tab)."""
    writer = store_writer()
    if writer is None:
        return None
    try:
        # the row is made on the writer's thread: a locked store never holds up the page
        return RunRecorder(writer, nickname(), config, values, "app", server_owner(), defer=True)
    except StoreError as error:  # a name refused: the run lives in the tab, which says why
        st.session_state["store_error"] = str(error)
        return None


def on_start() -> None:
    if tab.pending():  # the page does not know yet whether this tab has a run: wait for it
        st.session_state[START_WAITING] = True
        return
    st.session_state["start_error"] = start_job()


def on_control(action: str) -> None:
    st.session_state.pop("tab_adopted", None)  # the "page reloaded" notice has been read
    job: TrainingJob | None = st.session_state.get("job")
    if job is not None and (why := getattr(job, action)()):  # Resume with every slot taken
        st.session_state["start_error"] = why


def control_buttons(snap: JobSnapshot | None) -> None:
    """Start / Pause / Resume / Stop, enabled only when they make sense. Callbacks act before
    the rerun, so the page drawn next already shows the new state."""
    active = snap is not None and snap.active
    status = snap.status if snap else None
    with st.container(horizontal=True, gap="small", key="run_controls"):
        st.button(
            "Start training",
            type="primary",
            icon=":material/play_arrow:",
            disabled=active or st.session_state.get(START_WAITING, False),
            on_click=on_start,
            help="Train a new network with the settings above.",
        )
        st.button(
            "Pause",
            icon=":material/pause:",
            disabled=status != "running",
            on_click=on_control,
            args=("pause",),
            help="Freeze training after the current batch.",
        )
        st.button(
            "Resume",
            icon=":material/resume:",
            disabled=status not in ("pausing", "paused"),
            on_click=on_control,
            args=("resume",),
            help="Carry on training from where it paused.",
        )
        st.button(
            "Stop",
            icon=":material/stop:",
            disabled=not active or status == "stopping",
            on_click=on_control,
            args=("stop",),
            help="End the run now. The network keeps what it has learned.",
        )
    error = st.session_state.pop("start_error", None)
    if error:
        st.error(error)


def start_when_known() -> None:
    """A Start pressed before the page knew which tab it is: now that it knows, start (unless
    the tab turned out to have a run going, which the page then shows)."""
    if not st.session_state.get(START_WAITING) or tab.pending():
        return
    st.session_state.pop(START_WAITING)
    job: TrainingJob | None = st.session_state.get("job")
    if job is not None and job.snapshot().active:
        st.session_state["start_error"] = (
            "This tab already has a run going, from before the page reloaded. It is shown below."
        )
    else:
        st.session_state["start_error"] = start_job()
    st.rerun()
