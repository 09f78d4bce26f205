"""Any snapshot of a run's training timeline as a model for the Draw and Inspect pages.

A run with a timeline (a stored run, a finished run of this tab, the run training now, a
checkpoint file or upload that keeps one) offers each of its snapshots: "Run 12 at step 80". A
step's model is rebuilt from its snapshot once and shared read-only (a snapshot never changes),
under a key of its own ("run:12@80") so that what the pages cache per model (test-set
predictions, figures) is kept per step.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
import torch

from demo.models.stored import RUN, stored_checkpoint
from demo.models.timelines import stored_timeline
from demo.ui.text import plain
from lenet.config import ModelConfig
from lenet.data.mnist import MNIST
from lenet.errors import CheckpointError
from lenet.model import LeNet5
from lenet.store.runs import StoreError
from lenet.timeline.snapshots import Timeline
from lenet.training.metrics import predict_logits

FINAL = -1  # the picker's last position: the run's own model (final, or latest while it trains)
AT = "@"  # "run:12@80": run 12's weights after step 80
TAB = "tab:"  # a finished run of this tab that the run store does not hold: "tab:<job id>"
LIVE = "live"  # the chooser's key for the run training now


@dataclass(frozen=True)
class RunTimeline:
    """A run that kept a timeline, as the model chooser offers it."""

    key: str  # the run's model key: "run:12", "tab:3", "live:3", "file:x.pt#<time>", "upload:<sha>"
    name: str  # "Run 12", "The run training now", "Saved model x"
    timeline: Timeline
    config: ModelConfig
    final_step: int | None  # the steps the run made; None while it still trains

    @property
    def live(self) -> bool:
        return self.final_step is None


@dataclass(frozen=True)
class Picked:
    """A chosen model: its cache key ("run:12", "run:12@80", ...), itself, a short title for
    captions and columns, the run's timeline and the chosen step when it has one, and what the
    page says of it by the reading: whose it is ("your run 12") and its test accuracy."""

    key: str
    model: LeNet5
    title: str
    run: RunTimeline | None = None
    step: int = FINAL
    about: str = ""
    accuracy: float | None = None


def step_key(key: str, step: int) -> str:
    """The model key of a run at a step ("run:12@80"); the run's own key for FINAL."""
    return key if step == FINAL else f"{key}{AT}{step}"


def options(run: RunTimeline) -> list[int]:
    """The picker's positions: every snapshot's step, then FINAL (which stands for the last
    snapshot when that is the run's final step, so no position is there twice)."""
    steps = run.timeline.steps
    if steps and steps[-1] == run.final_step:
        steps = steps[:-1]
    return [*steps, FINAL]


def step_of(run: RunTimeline, step: int) -> int:
    """The step a position stands for (FINAL: the run's final step, or its latest snapshot's)."""
    if step != FINAL:
        return step
    return run.final_step if run.final_step is not None else run.timeline.steps[-1]


def step_label(run: RunTimeline, step: int) -> str:
    """'Run 12 at step 80 of 157 (epoch 0.51)', what the picker's position means."""
    total = run.timeline.total_steps
    if step == FINAL and run.live:
        return f"{run.name}: its latest weights (training, {total:,} steps in all)"
    shown = step_of(run, step)
    if step == FINAL:
        return f"{run.name} at step {shown:,} of {total:,}: its final weights"
    epoch = run.timeline.snapshots[run.timeline.index_of(shown)].epoch
    return f"{run.name} at step {shown:,} of {total:,} (epoch {epoch:.2f})"


def step_title(run: RunTimeline, step: int) -> str:
    """A short name for a column or a caption: 'Run 12 at step 0'."""
    if step == FINAL and run.live:
        return f"{run.name} (latest weights)"
    return f"{run.name} at step {step_of(run, step):,}"


def position_text(step: object) -> str:
    """A picker position as the slider shows it: the step number, or 'final'."""
    return "final" if step == FINAL else f"{step:,}"


@st.cache_resource(max_entries=64, show_spinner=False)
def snapshot_model(key: str, step: int, _timeline: Timeline, _config: ModelConfig) -> LeNet5:
    """The weights of run `key` after `step` as a model in eval mode, built once per server and
    shared read-only (Draw, Inspect and the Train page's timeline)."""
    return _timeline.model(_timeline.index_of(step), _config)


def step_model(run: RunTimeline, step: int) -> LeNet5:
    """The run's model after `step` (a snapshot's step), in eval mode; built once per server
    (run keys are unique on a server: store ids, job ids) and shared read-only."""
    return snapshot_model(run.key, step, run.timeline, run.config)


@st.cache_resource(max_entries=16, show_spinner=False)
def _test_probabilities(key: str, _model: LeNet5, _data: MNIST) -> torch.Tensor:
    return predict_logits(_model, _data.test.images).softmax(1)


def cached_key(key: str) -> bool:
    """Whether a model key names weights that never change (a step, a finished tab run)."""
    return AT in key or key.startswith(TAB)


def test_probabilities(key: str, model: LeNet5, data: MNIST) -> torch.Tensor:
    """Softmax over the test set (10000, 10) of a step's model; cached per key for the server."""
    return _test_probabilities(key, model, data)


def stored_run(run_id: int) -> RunTimeline | None:
    """A stored run's timeline (None for runs from before timelines); both reads are cached for
    the server. Raises StoreError or CheckpointError."""
    model, meta = stored_checkpoint(run_id)
    steps = meta.get("metrics", {}).get("steps")
    timeline = stored_timeline(run_id, steps if isinstance(steps, int) else 0)
    if timeline is None or not len(timeline):
        return None
    final = steps if isinstance(steps, int) else timeline.steps[-1]
    return RunTimeline(f"{RUN}{run_id}", f"Run {run_id}", timeline, model.config, final)


def tab_run(run: dict) -> RunTimeline | None:
    """The timeline of a finished run of this tab (`demo.views.train.results.remember_run`)."""
    timeline = run.get("timeline")
    if timeline is None or not len(timeline) or run.get("model") is None:
        return None
    finished = run["snap"].finished if run.get("snap") is not None else None
    final = finished.step if finished is not None else timeline.steps[-1]
    key = f"{TAB}{run['job_id']}"
    return RunTimeline(key, f"Run {run['number']}", timeline, run["model"].config, final)


def live_run(job) -> RunTimeline | None:
    """The timeline of the run training now (up to now), None before its first snapshot."""
    timeline = job.timeline()
    if not len(timeline) or job.model is None:
        return None
    finished = job.snapshot().finished
    final = finished.step if finished is not None else None
    name = "The run training now" if final is None else "Your latest run"
    return RunTimeline(f"live:{job.job_id}", name, timeline, job.model.config, final)


def tab_run_dict(key: str, runs: list[dict]) -> dict:
    """The run dict of this tab behind a "tab:<job id>" key (raises StoreError when gone)."""
    for run in runs:
        if f"{TAB}{run['job_id']}" == key:
            return run
    raise StoreError("that run is no longer in this tab")


def timeline_of(key: str, job, runs: list[dict]) -> RunTimeline | None:
    """The timeline of a chosen run (None for a model without one); a stored one it cannot
    read is said in one quiet line, and the run is offered at its final weights."""
    try:
        if key == LIVE:
            return live_run(job)
        if key.startswith(RUN):
            return stored_run(int(key[len(RUN) :]))
        if key.startswith(TAB):
            run = tab_run_dict(key, runs)
            if run.get("timeline") is None and run.get("run_id"):  # not kept in memory
                return stored_run(run["run_id"])
            return tab_run(run)
    except (StoreError, CheckpointError) as error:
        st.caption(plain(f"Its training timeline cannot be read: {error}"))
    return None


def at_step(run: RunTimeline, step: int, model: LeNet5 | None = None, key: str = "") -> Picked:
    """The run at a step; FINAL is the run's own model (`model`, under `key`), else its last
    snapshot."""
    if step == FINAL and model is not None:
        return Picked(key or run.key, model, step_title(run, step), run, step)
    step = step_of(run, step)
    return Picked(step_key(run.key, step), step_model(run, step), step_title(run, step), run, step)


STEP_HELP = (
    "Take the run at any moment of its training: its weights were kept at these steps, many "
    "early on, where most of the learning happens. 0 is its random start, 'final' the trained "
    "network."
)


def choose_step(run: RunTimeline, key: str, default: int = FINAL) -> int:
    """The "At step" slider under a run that kept a timeline; its position (a snapshot's step
    or FINAL). A newly chosen run starts at `default` (a step of it, or FINAL)."""
    positions = options(run)
    if len(positions) < 2:
        return FINAL
    owner = f"{key}_run"  # which run the slider's position belongs to
    if st.session_state.get(owner) != run.key or st.session_state.get(key) not in positions:
        st.session_state[key] = default if default in positions else FINAL
    st.session_state[owner] = run.key
    return st.select_slider(
        plain(step_label(run, st.session_state[key])),  # a label is Markdown; a name is not
        positions,
        format_func=position_text,
        key=key,
        help=STEP_HELP,
        persist_state="session",
    )
