"""The models a student can choose on the Draw and Inspect pages, loaded once per server."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
import torch

from demo.stored_models import RUN, run_choices, run_test_probabilities, stored_checkpoint
from demo.text import plain, shorten
from lenet.checkpoint import (
    DEFAULT_CHECKPOINT,
    checkpoint_dir,
    load_checkpoint,
    load_checkpoint_bytes,
)
from lenet.data import MNIST
from lenet.errors import CheckpointError
from lenet.metrics import predict_logits
from lenet.model import LeNet5
from lenet.store import StoreError

SHIPPED = "shipped"
LIVE = "live"
UPLOADED = "uploaded"
UPLOAD_NAME_CHARS = 48  # an upload's name as shown: 273 bytes of CJK would fill the sidebar


@dataclass(frozen=True)
class Choice:
    key: str  # "shipped", "file:<name>", "run:<id>", "live", "uploaded"
    label: str


@st.cache_resource(max_entries=16, show_spinner=False)
def load_model_file(path: str, mtime: float) -> tuple[LeNet5, dict]:
    """A checkpoint's model in eval mode, shared read-only by every session (keyed by mtime)."""
    return load_checkpoint(path)


def model_file(path: Path) -> tuple[LeNet5, dict]:
    return load_model_file(str(path), path.stat().st_mtime)


def saved_checkpoints() -> list[Path]:
    """Checkpoints saved from the Train page or placed in the checkpoints folder."""
    folder = checkpoint_dir()
    found = sorted(folder.glob("*.pt")) if folder.is_dir() else []
    return [p for p in found if p.resolve() != DEFAULT_CHECKPOINT.resolve()]


def choices(live_available: bool, uploaded_name: str | None) -> list[Choice]:
    listed = [Choice(SHIPPED, "Shipped model (99.06%)")]
    listed += [Choice(f"file:{p.name}", f"Saved: {p.stem}") for p in saved_checkpoints()]
    listed += [Choice(key, label) for key, label in run_choices()]
    if live_available:
        listed.append(Choice(LIVE, "The model training now (latest weights)"))
    if uploaded_name:
        listed.append(Choice(UPLOADED, f"Uploaded: {uploaded_name}"))
    return listed


def load_upload(data: bytes, name: str) -> tuple[LeNet5, dict, str]:
    """A model from uploaded bytes, through the same safe loader (raises CheckpointError).
    The upload's name is only shown (shortened), never used as a file name."""
    model, meta = load_checkpoint_bytes(data, shorten(name, UPLOAD_NAME_CHARS))
    return model, meta, hashlib.sha256(data).hexdigest()[:16]


@st.cache_resource(max_entries=16, show_spinner=False)
def _file_test_predictions(path: str, mtime: float, _data: MNIST) -> torch.Tensor:
    model, _ = load_model_file(path, mtime)
    return predict_logits(model, _data.test.images).softmax(1)


def checkpoint_path(key: str) -> Path | None:
    """The file behind a choice key ("shipped", "file:<name>"); None for the live or uploaded."""
    if key == SHIPPED:
        return DEFAULT_CHECKPOINT
    return checkpoint_dir() / key[5:] if key.startswith("file:") else None


def test_probabilities(key: str, model: LeNet5, data: MNIST) -> torch.Tensor:
    """Softmax over the test set (10000, 10); cached per checkpoint file for the server."""
    if (path := checkpoint_path(key)) is not None:
        return _file_test_predictions(str(path), path.stat().st_mtime, data)
    if key.startswith(RUN):
        return run_test_probabilities(int(key[len(RUN) :]), data)
    return predict_logits(model, data.test.images).softmax(1)


def on_upload() -> None:
    """Load an uploaded checkpoint safely; on success it becomes the chosen model."""
    file = st.session_state.get("checkpoint_upload")
    if file is None:
        return
    try:
        model, _, digest = load_upload(file.getvalue(), file.name)
    except CheckpointError as error:
        st.session_state["upload_error"] = str(error)
        return
    name = shorten(file.name, UPLOAD_NAME_CHARS)
    st.session_state["uploaded_model"] = {"name": name, "model": model, "digest": digest}
    st.session_state["model_choice"] = UPLOADED


def choose_model() -> tuple[str, object] | None:
    """The sidebar's model chooser and uploader; (choice key, model) or None with an error."""
    job = st.session_state.get("job")
    live = job is not None and job.model is not None
    upload = st.session_state.get("uploaded_model")
    options = choices(live, upload["name"] if upload else None)
    labels = {c.key: c.label for c in options}
    if st.session_state.get("model_choice") not in labels:
        st.session_state["model_choice"] = SHIPPED
    # keep the choice when the student moves between pages (Streamlit drops the state of
    # widgets that a page does not draw)
    st.session_state["model_choice"] = st.session_state["model_choice"]
    key = st.selectbox(
        "Model",
        list(labels),
        format_func=labels.get,
        key="model_choice",
        help="Which trained network reads the digit: the shipped one, one saved "
        "from the Train page, one of your runs (or the class's best), the one training "
        "right now, or your own file.",
    )
    with st.expander("Use your own checkpoint"):
        st.file_uploader(
            "Checkpoint (.pt)",
            type=["pt"],
            key="checkpoint_upload",
            on_change=on_upload,
            help="A file saved by this app or by `python -m lenet.train`. It is "
            "checked before use and never run as code.",
        )
    if error := st.session_state.pop("upload_error", None):
        st.error(plain(error))
    if key == LIVE:
        return f"live:{job.job_id}", job.model
    if key == UPLOADED:
        return f"upload:{upload['digest']}", upload["model"]
    if key.startswith(RUN):
        try:
            return key, stored_checkpoint(int(key[len(RUN) :]))[0]
        except (StoreError, CheckpointError) as error:
            st.error(plain(error))
            return None
    path = checkpoint_path(key)
    try:
        return key, model_file(path)[0]
    except CheckpointError as error:  # its message names the file
        st.error(plain(error))
    except OSError as error:
        st.error(plain(f"{path.name}: {error.strerror or error}"))
    return None
