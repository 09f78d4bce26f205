"""Server-wide resources (shared by every session, read-only or thread-safe) and session helpers."""

from __future__ import annotations

import streamlit as st
import torch
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from demo.training.cluster.connection import ray_address
from demo.training.fair_share import ClassRuns
from demo.training.sessions import SessionReaper
from demo.training.slots import SERVING_THREADS, JobSlots, default_capacity
from demo.training.worker import DataSource, start_worker_server
from lenet.data.mnist import MNIST, DataError, ensure_mnist, load_mnist


@st.cache_resource(show_spinner=False)
def job_slots() -> JobSlots:
    """The server-wide training cap; the app's own torch work (a drawing's prediction, feature
    maps) uses one thread: its kernels are tiny, and threads meeting at barriers on cores that
    training runs are using would wait for each other."""
    torch.set_num_threads(SERVING_THREADS)
    if (
        ray_address()
    ):  # runs are Ray actors: Ray's scheduler is the cap (demo.training.cluster.jobs)
        from demo.training.cluster.slots import RaySlots

        return RaySlots()
    return JobSlots(default_capacity())


@st.cache_resource(show_spinner=False)
def class_runs_now() -> ClassRuns:
    """Every run in progress on this server, for the limits per nickname and tab and for the
    teacher's Stop (`demo.training.fair_share`)."""
    return ClassRuns()


def session_is_alive(session_id: str) -> bool:
    """Whether the browser session is still connected (asked from the reaper's thread)."""
    if not runtime.exists():
        return True
    return runtime.get_instance().is_active_session(session_id)


@st.cache_resource(show_spinner=False)
def session_reaper() -> SessionReaper:
    return SessionReaper(session_is_alive)


@st.cache_resource(show_spinner=False)
def data_source() -> DataSource:
    """Where training processes read MNIST: the files `mnist()` verified once for this server,
    kept in memory by the worker server that every run forks from."""
    source = DataSource(verified=True)
    start_worker_server(source)
    return source


def session_id() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


@st.cache_resource(show_spinner=False)
def _verified_mnist() -> MNIST:
    return load_mnist(fetch=False)


def mnist() -> MNIST | None:
    """MNIST in memory (loaded once per server). On a new machine it is fetched first, with the
    progress shown; when it cannot be fetched the page shows why and how to fix it."""
    try:
        return _verified_mnist()
    except DataError:
        pass
    with st.status(
        "Fetching MNIST: the first start on this machine (about 12 MB)...", expanded=True
    ) as status:
        try:
            ensure_mnist(log=status.write)
        except DataError as error:
            status.update(label="MNIST could not be fetched", state="error")
            st.error(str(error))
            return None
        status.update(label="MNIST is ready", state="complete", expanded=False)
    return _verified_mnist()
