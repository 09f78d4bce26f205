"""Where the app finds a run's training timeline (`lenet.timeline`): the run training now (its
job), a finished run of this tab (kept in its run dict), a stored run (read from the run store
once, shared by every session, with its minibatch curve) or a checkpoint file that keeps one.
No page code here: the pages draw from what this returns.
"""

from __future__ import annotations

import streamlit as st

from demo.session.store_state import run_store
from lenet.store import timelines as store_timelines
from lenet.store.runs import StoreError
from lenet.timeline import file as timeline_file
from lenet.timeline.snapshots import Timeline
from lenet.training.events import BatchEnd

FILE_TIMELINES = 4  # checkpoint files' timelines kept for the server (up to 20 MB each)


@st.cache_resource(max_entries=32, show_spinner=False)
def stored_timeline(run_id: int, total_steps: int) -> Timeline | None:
    """A stored run's timeline (None when it kept none: runs from before timelines); shared
    read-only by every session (~10 MB each). `total_steps` is the run's steps once it ended
    (0 before): a run read while it trains is read again when it ends. Raises StoreError."""
    store = run_store()
    if store is None:
        raise StoreError("the run store is not available")
    return store_timelines.stored_timeline(store, run_id, total_steps)


@st.cache_resource(max_entries=64, show_spinner=False)
def stored_batches(run_id: int, total_steps: int) -> tuple[BatchEnd, ...]:
    """A stored run's minibatch curve (at most 1,000 points, ~220 kB; empty for runs from
    before it was kept), as the charts take it: their speed is not kept (0). Keyed like
    `stored_timeline`. Raises StoreError (not cached)."""
    store = run_store()
    if store is None:
        raise StoreError("the run store is not available")
    return tuple(BatchEnd(p.step, p.epoch, p.loss, p.lr, 0.0) for p in store.batch_curve(run_id))


@st.cache_resource(max_entries=FILE_TIMELINES, show_spinner=False)
def file_timeline(path: str, mtime: float) -> Timeline | None:
    """The timeline a checkpoint file keeps (None when it keeps none), read once per version of
    the file (`mtime`) and shared read-only; only a few are kept: each is up to 20 MB. Raises
    CheckpointError or OSError (not cached)."""
    return timeline_file.load_timeline(path)[2]


def run_timeline(run: dict) -> Timeline | None:
    """The timeline of a run dict of "Your runs" (`demo.views.train.results.remember_run`,
    `demo.views.train.runs.stored_run`): the tab's copy, else the store's. Raises StoreError."""
    if run.get("timeline") is not None:
        return run["timeline"]
    if run.get("run_id"):
        return stored_timeline(run["run_id"], run.get("steps") or 0)
    return None


def with_timeline(meta: dict, timeline: Timeline | None) -> dict:
    """A checkpoint's meta with the run's timeline in it (saved and downloaded models keep it)."""
    if timeline is None or not len(timeline):
        return meta
    return {**meta, "timeline": timeline_file.timeline_payload(timeline)}
