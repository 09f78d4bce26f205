"""The models a student can choose on the Draw and Inspect pages, loaded once per server."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
import torch

from demo import step_models
from demo.step_models import FINAL, LIVE, TAB, Picked, at_step, timeline_of
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
UPLOADED = "uploaded"
UPLOAD_NAME_CHARS = 48  # an upload's name as shown: 273 bytes of CJK would fill the sidebar


@dataclass(frozen=True)
class Choice:
    key: str  # "shipped", "file:<name>", "run:<id>", "tab:<job id>", "live", "uploaded"
    label: str


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


def tab_label(run: dict) -> str:
    """'Run 2 (this tab): 95.33%, adamw' for a finished run of this tab."""
    accuracy = f"{run['test_accuracy']:.2%}" if run.get("test_accuracy") else run["outcome"]
    return f"Run {run['number']} (this tab): {accuracy}, {run.get('optimizer', '?')}"


def tab_runs(live_job_id: int | None) -> list[dict]:
    """This tab's finished or stopped runs with weights, but the live job's (offered as the
    live model)."""
    return [
        run
        for run in st.session_state.get("runs", [])
        if run.get("model") is not None
        and run.get("outcome") in ("done", "stopped")
        and run["job_id"] != live_job_id
    ]


def choices(
    live_available: bool, uploaded_name: str | None, tab: list[dict] | None = None
) -> list[Choice]:
    listed = [Choice(SHIPPED, "Shipped model (99.06%)")]
    listed += [Choice(f"file:{p.name}", f"Saved: {p.stem}") for p in saved_checkpoints()]
    stored = run_choices()
    listed += [Choice(key, label) for key, label in stored]
    known = {key for key, _ in stored}  # a tab run is offered once: as stored when it is listed
    listed += [
        Choice(f"{TAB}{r['job_id']}", tab_label(r))
        for r in tab or []
        if f"{RUN}{r.get('run_id')}" not in known
    ]
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
    if step_models.cached_key(key):
        return step_models.test_probabilities(key, model, data)
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


CHOOSER_HELP = (
    "Which trained network reads the digit: the shipped one, one saved from the Train page, "
    "one of your runs (or the class's best), the one training right now, or your own file. "
    "A run that kept its training timeline can be taken at any of its steps."
)


def uploader() -> None:
    """The expander to load one's own checkpoint (it becomes the chosen model)."""
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


def model_of(key: str, job, upload: dict | None) -> tuple[str, LeNet5]:
    """(model key, model) of a choice key, its final weights. Raises StoreError,
    CheckpointError or OSError."""
    if key == LIVE:
        return f"live:{job.job_id}", job.model
    if key == UPLOADED:
        return f"upload:{upload['digest']}", upload["model"]
    if key.startswith(RUN):
        return key, stored_checkpoint(int(key[len(RUN) :]))[0]
    if key.startswith(TAB):
        return key, step_models.tab_run_dict(key, st.session_state.get("runs", []))["model"]
    return key, model_file(checkpoint_path(key))[0]


def choose(
    select_key: str = "model_choice",
    step_key: str = "model_step",
    label: str = "Model",
    upload: bool = True,
    avoid: str | None = None,
) -> Picked | None:
    """A model chooser: the selectbox, the run's "At step" slider when it kept a timeline, and
    (`upload`) the uploader. It starts on the shipped model, or on the first choice that is not
    `avoid`. The chosen model, or None after an error line."""
    job = st.session_state.get("job")
    live = job is not None and job.model is not None
    uploaded = st.session_state.get("uploaded_model")
    tab = tab_runs(job.job_id if job is not None else None)
    labels = {c.key: c.label for c in choices(live, uploaded["name"] if uploaded else None, tab)}
    if st.session_state.get(select_key) not in labels:
        others = [k for k in labels if k != avoid]
        st.session_state[select_key] = others[0] if others else SHIPPED
    key = st.selectbox(
        label,
        list(labels),
        format_func=labels.get,
        key=select_key,
        help=CHOOSER_HELP,
        persist_state="session",  # kept while a page without the chooser is shown
    )
    try:
        model_key, model = model_of(key, job, uploaded)
    except (StoreError, CheckpointError) as error:  # a checkpoint's message names it
        problem = str(error)
    except OSError as error:
        problem = f"{checkpoint_path(key).name}: {error.strerror or error}"
    else:
        problem = None
        run = timeline_of(key, job, st.session_state.get("runs", []))
        step = step_models.choose_step(run, step_key) if run is not None else FINAL
    if upload:
        uploader()
    if problem is not None:
        st.error(plain(problem))
        return None
    if run is None:
        return Picked(model_key, model, labels[key].split(" (")[0])  # "Run 12", "Saved: x"
    return at_step(run, step, model, model_key)


def choose_model() -> tuple[str, object] | None:
    """The sidebar's model chooser and uploader; (model key, model) or None with an error."""
    picked = choose()
    return None if picked is None else (picked.key, picked.model)
