"""Checkpoint files as models for the Draw and Inspect pages: the shipped one and those in
checkpoints/, each loaded once per server and version of the file (its time), and the training
timeline a file keeps, read apart from its model so that few are held at once (up to 20 MB each).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
import torch

from demo.models.steps import AT, RunTimeline
from demo.models.timelines import file_timeline
from demo.ui.text import plain
from lenet.data.mnist import MNIST
from lenet.errors import CheckpointError
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, checkpoint_dir, load_checkpoint
from lenet.model import LeNet5
from lenet.timeline.snapshots import Timeline
from lenet.training.metrics import predict_logits

SHIPPED = "shipped"


@st.cache_resource(max_entries=16, show_spinner=False)
def load_model_file(path: str, mtime: float) -> tuple[LeNet5, dict]:
    """A checkpoint's model in eval mode, shared read-only by every session (keyed by mtime);
    its timeline (up to 20 MB) is not kept here."""
    model, meta = load_checkpoint(path)
    meta.pop("timeline", None)
    return model, meta


def model_file(path: Path) -> tuple[LeNet5, dict]:
    return load_model_file(str(path), path.stat().st_mtime)


def saved_checkpoints() -> list[Path]:
    """Checkpoints saved from the Train page or placed in the checkpoints folder."""
    folder = checkpoint_dir()
    found = sorted(folder.glob("*.pt")) if folder.is_dir() else []
    return [p for p in found if p.resolve() != DEFAULT_CHECKPOINT.resolve()]


@st.cache_resource(max_entries=16, show_spinner=False)
def _file_test_predictions(path: str, mtime: float, _data: MNIST) -> torch.Tensor:
    model, _ = load_model_file(path, mtime)
    return predict_logits(model, _data.test.images).softmax(1)


def file_test_probabilities(path: Path, data: MNIST) -> torch.Tensor:
    """Softmax over the test set (10000, 10) of a checkpoint file; cached for the server."""
    return _file_test_predictions(str(path), path.stat().st_mtime, data)


def checkpoint_path(key: str) -> Path | None:
    """The file behind a choice key ("shipped", "file:<name>"); None for any other model key
    (the live or uploaded model, a run, a step of a file's timeline: "file:x.pt#<time>@80")."""
    if key == SHIPPED:
        return DEFAULT_CHECKPOINT
    return checkpoint_dir() / key[5:] if key.startswith("file:") and AT not in key else None


def test_accuracy(meta: dict) -> float | None:
    """The test accuracy a checkpoint's metrics give, when it is a fraction."""
    metrics = meta.get("metrics")
    value = metrics.get("test_accuracy") if isinstance(metrics, dict) else None
    return float(value) if type(value) in (int, float) and 0 <= value <= 1 else None


def final_step(meta: dict, timeline: Timeline) -> int:
    """The steps a checkpoint says its run made, if it says so sensibly; else the timeline's
    last snapshot's."""
    metrics = meta.get("metrics")
    steps = metrics.get("steps") if isinstance(metrics, dict) else None
    if type(steps) is int and timeline.steps[-1] <= steps <= timeline.total_steps:
        return steps
    return timeline.steps[-1]


def file_run(choice: str, path: Path, name: str, model: LeNet5, meta: dict) -> RunTimeline | None:
    """The timeline a checkpoint file keeps (read once per version of the file), None when it
    keeps none; one it cannot read is said in one quiet line. Its key holds the file's time, so
    a file saved again under the same name is never mistaken for the old one."""
    try:
        stat = path.stat()
        timeline = file_timeline(str(path), stat.st_mtime)
    except (CheckpointError, OSError) as error:
        st.caption(plain(f"Its training timeline cannot be read: {error}"))
        return None
    if timeline is None or not len(timeline):
        return None
    key = f"{choice}#{stat.st_mtime_ns}"
    return RunTimeline(key, name, timeline, model.config, final_step(meta, timeline))
