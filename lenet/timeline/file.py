"""A timeline in a checkpoint: the snapshots as one (snapshots, parameters) float32 tensor under
the checkpoint's "timeline" key, with their steps and epochs, read back checked like the weights.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from lenet.errors import CheckpointError
from lenet.files.checkpoint import load_checkpoint
from lenet.files.guard import MAX_WEIGHT, shown
from lenet.model import LeNet5, count_parameters
from lenet.timeline.snapshots import MAX_TOTAL_STEPS, MOST_SNAPSHOTS, Snapshot, Timeline

KEY = "timeline"


def timeline_payload(timeline: Timeline) -> dict:
    """The value a checkpoint keeps under "timeline": plain lists and one tensor."""
    return {
        "steps": timeline.steps,
        "epochs": [float(e) for e in timeline.epochs],
        "total_steps": int(timeline.total_steps),
        "weights": torch.from_numpy(timeline.stacked().copy()),
    }


def _whole(value: object) -> bool:
    return type(value) is int and value >= 0


def order_problem(steps: list, epochs: list, total: int) -> str | None:
    """What is wrong with a timeline's steps and epochs (None when nothing): 1 to MOST_SNAPSHOTS
    whole steps in increasing order within `total` (itself at most MAX_TOTAL_STEPS), each with a
    finite epoch of at most its step."""
    if not 1 <= len(steps) <= MOST_SNAPSHOTS or len(epochs) != len(steps):
        return f"{len(steps)} steps, {len(epochs)} epochs"
    if total > MAX_TOTAL_STEPS:
        return f"a run of {shown(total)} steps"
    if not all(_whole(s) and s <= total for s in steps) or steps != sorted(set(steps)):
        return "its steps are not in order within the run"
    pairs = zip(steps, epochs, strict=True)
    if not all(type(e) is float and math.isfinite(e) and 0 <= e <= max(s, 1) for s, e in pairs):
        return "an epoch is not a number of epochs done"
    return None


def read_timeline(meta: dict, model: LeNet5, name: str) -> Timeline | None:
    """The timeline a loaded checkpoint's meta holds, checked against its model; None when it
    keeps none (checkpoints from before timelines). Raises CheckpointError, one line."""
    payload = meta.get(KEY)
    if payload is None:
        return None
    bad = f"{name}: its training timeline is damaged"
    if not isinstance(payload, dict):
        raise CheckpointError(f"{bad} (not a table of snapshots)")
    steps, epochs = payload.get("steps"), payload.get("epochs")
    total, weights = payload.get("total_steps"), payload.get("weights")
    if not isinstance(steps, list) or not isinstance(epochs, list) or not _whole(total):
        raise CheckpointError(f"{bad} (steps {shown(steps)})")
    if problem := order_problem(steps, epochs, total):
        raise CheckpointError(f"{bad} ({problem})")
    size = count_parameters(model)
    if not isinstance(weights, torch.Tensor) or tuple(weights.shape) != (len(steps), size):
        raise CheckpointError(f"{bad} (its weights are not {len(steps)} x {size:,} numbers)")
    if not weights.is_floating_point():
        raise CheckpointError(f"{bad} (its weights are not decimal numbers)")
    values = weights.to(torch.float32)
    if not torch.isfinite(values).all() or values.abs().max().item() > MAX_WEIGHT:
        raise CheckpointError(f"{bad} (a weight is not finite or is too large)")
    rows = values.numpy().copy()
    rows.flags.writeable = False
    snapshots = tuple(
        Snapshot(step, epoch, row) for step, epoch, row in zip(steps, epochs, rows, strict=True)
    )
    return Timeline(snapshots, total)


def load_timeline(path: Path | str) -> tuple[LeNet5, dict, Timeline | None]:
    """(model, meta without the timeline, timeline or None) of a checkpoint file."""
    model, meta = load_checkpoint(path)
    timeline = read_timeline(meta, model, Path(path).name)
    return model, {k: v for k, v in meta.items() if k != KEY}, timeline
