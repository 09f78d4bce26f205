"""The Draw page's "doesn't look like a digit" signal (lenet.explain.familiar), fitted once per
model.

Statistics for checkpoint files (the shipped model, saved ones) and finished runs are fitted once
per server and shared; those of the live or uploaded model are fitted per session and refitted
when its weights change; a step of a run's timeline (`demo.models.steps`) gets none. Fitting is
one forward pass over 16,000 MNIST digits (about 1.3 s on the app's one thread).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
import torch

from demo.models import choices as models
from demo.training.state import mnist
from lenet.data.mnist import MNIST
from lenet.explain.familiar import UNFAMILIAR, Familiarity, details, fit_familiarity, read
from lenet.model import LeNet5

RELIABLE_ACCURACY = 0.9  # below it a weak model's features say little (benchmarks/README.md)
SCORE_HELP = (
    "The network always names a digit, even for a scribble. This check asks if it has seen "
    "anything like this input. It compares what the network's own layers make of it with what "
    "they make of the digits it learned from. Only about 1 in 100 real digits is flagged."
)


@st.cache_resource(max_entries=16, show_spinner=False)
def _file_familiarity(path: str, mtime: float, _data: MNIST) -> Familiarity:
    model, _ = models.load_model_file(path, mtime)
    return fit_familiarity(model, _data)


def file_familiarity(path: Path, data: MNIST) -> Familiarity:
    """A checkpoint file's statistics, fitted once per server (raises OSError, CheckpointError)."""
    return _file_familiarity(str(path), path.stat().st_mtime, data)


@st.cache_resource(max_entries=32, show_spinner=False)
def _fixed_familiarity(model_key: str, _model: LeNet5, _data: MNIST) -> Familiarity:
    return fit_familiarity(_model, _data)


FIXED = ("run:", "tab:")  # stored runs and the tab's finished runs: their weights are fixed


def familiarity(model_key: str, model: LeNet5) -> Familiarity | None:
    """The fitted statistics for the chosen model; None when MNIST or the file is missing."""
    data = mnist()
    if data is None:
        return None
    if (path := models.checkpoint_path(model_key)) is not None:
        try:
            return file_familiarity(path, data)
        except OSError:  # the file went away since the model was chosen: no signal this time
            return None
    if model_key.startswith(FIXED):  # fitted once, shared by every session
        with st.spinner("Checking what this network's digits look like (about a second)..."):
            return _fixed_familiarity(model_key, model, data)
    cached = st.session_state.get("familiarity")
    if cached is not None and cached[0] == model_key and cached[1] is model:
        return cached[2]
    with st.spinner("Checking what this network's digits look like (about a second)..."):
        stats = fit_familiarity(model, data)  # the live model: a new object for new weights
    st.session_state["familiarity"] = (model_key, model, stats)
    return stats


def show_familiarity(model_key: str, model: LeNet5, model_input: torch.Tensor) -> None:
    """A warning when the input doesn't look like a digit, else one quiet caption."""
    if "@" in model_key:  # a step of a run's timeline: fitting each would cost ~1.3 s a step
        st.caption(
            "No 'is it a digit?' check at this moment of the training. Move the slider to the "
            "end to get it.",
            help=SCORE_HELP,
        )
        return
    stats = familiarity(model_key, model)
    if stats is None:
        return
    if stats.val_accuracy < RELIABLE_ACCURACY:
        st.caption(
            f"No 'is it a digit?' check for this model. It reads only {stats.val_accuracy:.0%} "
            "of test digits right, so it can't yet tell what looks like a digit.",
            help=SCORE_HELP,
        )
        return
    found = read(model, stats, model_input)[0]
    if found.unfamiliar:
        st.warning(UNFAMILIAR, icon=":material/help:")
        st.caption("How this is measured", help=f"{SCORE_HELP} {details(found)}")
    else:
        st.caption("Looks like a digit.", help=f"{SCORE_HELP} {details(found)}")
