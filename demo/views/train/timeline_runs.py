"""Which runs the Train page's training timeline can replay: the run on the page (while it trains,
its snapshots up to now) and every finished run of "Your runs" that kept a timeline.

A `TimelineRun` reads its timeline and curves anew on each rerun: the run training now grows.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from demo.models.timelines import run_timeline, stored_batches
from demo.session.store_state import run_store
from demo.training.jobs import TrainingJob
from demo.training.snapshot import JobSnapshot
from lenet.config import ModelConfig
from lenet.store.runs import StoreError
from lenet.timeline.snapshots import Timeline
from lenet.training.events import BatchEnd, Evaluation

CURRENT = "current"  # the choice of the run on the page above
OLD_RUN_NOTE = (
    "This run was saved before runs kept the loss of each step. So it shows the loss at each "
    "evaluation, and no learning rate."
)


@dataclass(frozen=True)
class Curves:
    """What the loss, accuracy and learning-rate charts draw."""

    batches: tuple[BatchEnd, ...]  # a stored run's: up to 1,000 of them, evenly spread
    evaluations: tuple[Evaluation, ...]
    epochs: float
    total_steps: int | None
    per_batch: bool = True  # False: a stored run that kept no minibatch curve (from before)
    note: str = ""  # one line under the charts saying why they are fewer, else ""


@dataclass(frozen=True)
class TimelineRun:
    """A run the timeline can replay."""

    key: str  # the caches' key for its snapshots: "run12" (run store id), else "job3"
    label: str
    model: ModelConfig
    job: TrainingJob | None = None  # the run on the page above
    run: dict | None = None  # a finished run of "Your runs"

    def timeline(self) -> Timeline | None:
        """Its snapshots (up to now while it trains). Raises StoreError."""
        if self.job is not None:
            return self.job.timeline()
        return run_timeline(self.run)

    def snapshot(self) -> JobSnapshot | None:
        return self.job.snapshot() if self.job is not None else self.run.get("snap")

    def curves(self) -> Curves:
        snap = self.snapshot()
        if snap is None:
            return stored_curves(self.run)
        total = snap.started.total_steps if snap.started else None
        return Curves(snap.batches, snap.evaluations, snap.config.epochs, total)


def stored_curves(run: dict) -> Curves:
    """A stored run's curves: its minibatch curve when it kept one (the three charts of a live
    run), else its evaluations only, with a note saying why."""
    epochs = run.get("epochs") or run["values"]["epochs"]  # the run's own, as it trained
    evaluations, steps = tuple(run["evaluations"]), run["steps"]
    note = OLD_RUN_NOTE
    try:
        batches = stored_batches(run["run_id"], steps or 0) if run.get("run_id") else ()
    except StoreError as error:
        batches, note = (), f"The loss of each step cannot be read now: {error}"
    if batches:
        return Curves(batches, evaluations, epochs, steps)
    return Curves((), evaluations, epochs, steps, per_batch=False, note=note)


def run_key(run_id: int | None, job_id: int | str) -> str:
    """One key per run for the whole server: its run store id, else its job's."""
    return f"run{run_id}" if run_id else f"job{job_id}"


@st.cache_resource(max_entries=1024, show_spinner=False)
def stored_snapshot_count(run_id: int, outcome: str) -> int:
    """How many snapshots a stored run keeps (one light query per run and outcome: a finished
    run's timeline never changes). Raises StoreError (not cached)."""
    store = run_store()
    if store is None:
        raise StoreError("the run store is not available")
    return len(store.snapshot_steps(run_id))


def has_timeline(run: dict) -> bool:
    if run.get("timeline") is not None:
        return len(run["timeline"]) > 0
    if not run.get("run_id") or run["outcome"] in ("queued", "running"):
        return False
    try:
        return stored_snapshot_count(run["run_id"], run["outcome"]) > 0
    except StoreError:
        return False


def model_config(values: dict) -> ModelConfig:
    return ModelConfig(activation=values["activation"], pooling=values["pooling"])


def current_run(job: TrainingJob) -> TimelineRun:
    snap = job.snapshot()
    run_id = job.recorder.run_id if job.recorder is not None else None
    number = f" (#{run_id})" if run_id else ""
    return TimelineRun(
        run_key(run_id, job.job_id),
        # no status in the label: the chooser's box kept showing "running" once it had ended
        f"The run above{number}",
        snap.config.model,
        job=job,
    )


def finished_run(run: dict) -> TimelineRun:
    accuracy = f", {run['test_accuracy']:.1%}" if run.get("test_accuracy") else ""
    snap = run.get("snap")
    return TimelineRun(
        run_key(run.get("run_id"), run["job_id"]),
        f"#{run['number']} {run['label']} ({run['outcome']}{accuracy})",
        snap.config.model
        if snap is not None
        else run.get("model_config") or model_config(run["values"]),
        run=run,
    )


def timeline_runs(job: TrainingJob | None, runs: list[dict]) -> dict[str, TimelineRun]:
    """The choices, by widget value: the run on the page first, then `runs` ("Your runs",
    newest first)."""
    choices = {CURRENT: current_run(job)} if job is not None else {}
    for run in runs:
        if job is not None and run["job_id"] == job.job_id:
            continue  # the run above, finished: already the first choice
        if has_timeline(run):
            choices[str(run["job_id"])] = finished_run(run)
    return choices
