"""Stored runs as models for the Draw and Inspect pages: the student's own runs (by nickname)
and the class's best, loaded from the run store through the safe checkpoint loader."""

from __future__ import annotations

from typing import NamedTuple

import streamlit as st
import torch

from demo.classroom.teacher import hidden_names
from demo.session.nickname import nickname
from demo.session.store_state import run_store
from lenet.data.mnist import MNIST
from lenet.files.checkpoint import load_checkpoint_bytes
from lenet.model import LeNet5
from lenet.store.runs import RunRow, StoreError
from lenet.training.metrics import predict_logits

RUN = "run:"
OWN_RUNS = 8  # the student's newest runs with weights
CLASS_BEST = 5  # and the class's best


class StoredChoice(NamedTuple):
    """A stored run the chooser offers: its key, its label in the list, what the page says of
    it by the reading ("your run 12") and its test accuracy."""

    key: str
    label: str
    about: str
    accuracy: float | None
    own: bool


@st.cache_resource(max_entries=32, show_spinner=False)
def stored_checkpoint(run_id: int) -> tuple[LeNet5, dict]:
    """A stored run's model in eval mode and what its checkpoint says of it (train config,
    metrics, history); shared read-only (a run's weights never change once written).
    Raises StoreError or CheckpointError."""
    store = run_store()
    data = store.checkpoint(run_id) if store is not None else None
    if data is None:
        raise StoreError(f"run {run_id} has no stored weights (deleted?)")
    model, meta = load_checkpoint_bytes(data, f"run {run_id}")
    return model, {k: meta[k] for k in ("train_config", "metrics", "history") if k in meta}


@st.cache_resource(max_entries=16, show_spinner=False)
def run_test_probabilities(run_id: int, _data: MNIST) -> torch.Tensor:
    """Softmax over the test set (10000, 10) of a stored run; cached for the server."""
    return predict_logits(stored_checkpoint(run_id)[0], _data.test.images).softmax(1)


def label(row: RunRow, own: bool, hidden: bool = False) -> str:
    """'Run 12 (yours): 95.33%, adamw'; another's run names its student, or "a classmate"
    while names are hidden (the teacher's switch or the link's hide=1)."""
    who = "yours" if own else ("a classmate" if hidden else row.name)
    return f"Run {row.id} ({who}): {row.test_accuracy:.2%}, {row.settings.get('optimizer', '?')}"


def about(row: RunRow, own: bool, hidden: bool = False) -> str:
    """'your run 12', "Maya's run 12" or "a classmate's run 12": whose model reads the digit."""
    who = "your" if own else ("a classmate's" if hidden else f"{row.name}'s")
    return f"{who} run {row.id}"


def choice(row: RunRow, own: bool, hidden: bool = False) -> StoredChoice:
    return StoredChoice(
        f"{RUN}{row.id}", label(row, own, hidden), about(row, own, hidden), row.test_accuracy, own
    )


@st.cache_data(ttl=3, show_spinner=False, max_entries=256)
def _choices(name: str, hidden: bool) -> list[StoredChoice]:
    store = run_store()
    if store is None:
        return []
    own = store.with_weights_of(name, best=False, limit=OWN_RUNS)
    taken = {r.id for r in own}
    best = [
        r for r in store.with_weights_of(None, True, CLASS_BEST + OWN_RUNS) if r.id not in taken
    ]
    return [choice(r, True) for r in own] + [choice(r, False, hidden) for r in best[:CLASS_BEST]]


def run_choices() -> list[StoredChoice]:
    """The stored runs a student may pick: theirs first (newest first), then the class's best;
    none when there is no store or it cannot be read."""
    try:
        return _choices(nickname(), hidden_names())
    except StoreError:
        return []
