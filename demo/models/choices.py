"""The models a student can choose on the Draw and Inspect pages, loaded once per server.

A chooser starts on the student's newest finished run (`demo.models.start`); a model that kept
its training timeline (a run, a checkpoint file, an upload) can be taken at any of its steps;
`reading_label` says in a few plain words which model reads the digit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import streamlit as st
import torch

from demo.models import steps as step_models
from demo.models.export import onnx_download
from demo.models.files import (
    SHIPPED,
    checkpoint_path,
    file_run,
    file_test_probabilities,
    load_model_file,
    model_file,
    saved_checkpoints,
    test_accuracy,
)
from demo.models.start import (
    finished_job,
    live_about,
    newest_run,
    offer,
    picked,
    reads_digits,
    start,
)
from demo.models.steps import FINAL, LIVE, TAB, Picked, RunTimeline, at_step, timeline_of
from demo.models.stored import (
    RUN,
    StoredChoice,
    run_choices,
    run_test_probabilities,
    stored_checkpoint,
)
from demo.models.upload import UPLOADED, uploader
from demo.ui.text import plain
from lenet.data.mnist import MNIST
from lenet.errors import CheckpointError
from lenet.files.checkpoint import DEFAULT_CHECKPOINT
from lenet.model import LeNet5
from lenet.store.runs import StoreError
from lenet.training.metrics import predict_logits

__all__ = [
    "DEFAULT_CHECKPOINT",
    "SHIPPED",
    "UPLOADED",
    "Picked",
    "checkpoint_path",
    "choose",
    "choose_model",
    "load_model_file",
    "model_file",
    "reading_label",
    "test_probabilities",
]


@dataclass(frozen=True)
class Choice:
    key: str  # "shipped", "file:<name>", "run:<id>", "tab:<job id>", "live", "uploaded"
    label: str


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


def live_label(job) -> str:
    """The run of this tab's job: training now, or its latest run once it finished."""
    if not finished_job(job):
        return "The model training now (latest weights)"
    accuracy = job.snapshot().finished.test_accuracy
    return f"Your latest run (this tab): {accuracy:.2%}" if accuracy else "Your latest run"


def choices(
    job, uploaded_name: str | None, tab: list[dict], stored: list[StoredChoice]
) -> list[Choice]:
    """Everything the chooser offers, the shipped model first."""
    listed = [Choice(SHIPPED, "Shipped model (99.06%)")]
    listed += [Choice(f"file:{p.name}", f"Saved: {p.stem}") for p in saved_checkpoints()]
    listed += [Choice(c.key, c.label) for c in stored]
    known = {c.key for c in stored}  # a tab run is offered once: as stored when it is listed
    listed += [
        Choice(f"{TAB}{r['job_id']}", tab_label(r))
        for r in tab
        if f"{RUN}{r.get('run_id')}" not in known
    ]
    if job is not None and job.model is not None:
        listed.append(Choice(LIVE, live_label(job)))
    if uploaded_name:
        listed.append(Choice(UPLOADED, f"Uploaded: {uploaded_name}"))
    return listed


def test_probabilities(key: str, model: LeNet5, data: MNIST) -> torch.Tensor:
    """Softmax over the test set (10000, 10); cached per checkpoint file for the server."""
    if (path := checkpoint_path(key)) is not None:
        return file_test_probabilities(path, data)
    if step_models.cached_key(key):
        return step_models.test_probabilities(key, model, data)
    if key.startswith(RUN):
        return run_test_probabilities(int(key[len(RUN) :]), data)
    return predict_logits(model, data.test.images).softmax(1)


CHOOSER_HELP = (
    "Which network reads the digit: the shipped one, one saved from the Train page, one of your "
    "runs (or the class's best), the one training now, or your own file. It starts on your "
    "newest run. A model that kept its training timeline can be taken at any step."
)


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


def timeline_for(key: str, job, upload: dict | None) -> RunTimeline | None:
    """The timeline of a choice, None when it kept none; one that cannot be read is said in
    one quiet line (the model is still offered at its final weights)."""
    if key == UPLOADED:
        if upload.get("problem"):
            st.caption(plain(f"Its training timeline cannot be read: {upload['problem']}"))
        return upload.get("run")
    if (path := checkpoint_path(key)) is not None:
        model, meta = model_file(path)
        name = "The shipped model" if key == SHIPPED else f"Saved model {path.stem}"
        return file_run(key, path, name, model, meta)
    return timeline_of(key, job, st.session_state.get("runs", []))


def describe(key: str, job, upload: dict | None, stored: dict) -> tuple[str, float | None]:
    """Whose model a choice is, in words that follow "Read by", and its test accuracy."""
    if key == LIVE:
        snap = job.snapshot()
        accuracy = snap.finished.test_accuracy if snap.finished is not None else None
        return live_about(job), accuracy
    if key == UPLOADED:
        return f"the uploaded model {upload['name']}", upload.get("accuracy")
    if key in stored:
        return stored[key].about, stored[key].accuracy
    if key.startswith(TAB):
        run = step_models.tab_run_dict(key, st.session_state.get("runs", []))
        return f"your run {run['number']}", run.get("test_accuracy")
    path = checkpoint_path(key)
    about = "the shipped model" if key == SHIPPED else f"the saved model {path.stem}"
    return about, test_accuracy(model_file(path)[1])


def reading_label(picked: Picked) -> str:
    """Which model reads the digit, in words that follow "Read by": "your run 12 (95.33%)",
    "the shipped model (99.06%)", "your run 12 at step 80 of 157". It may hold an upload's
    file name: show it as plain text."""
    run = picked.run
    about = picked.about or (run.name if run is not None else picked.title)
    if run is not None and picked.step != FINAL:
        return f"{about} at step {picked.step:,} of {run.timeline.total_steps:,}"
    if run is not None and run.live:
        return f"{about} (latest weights)"
    return f"{about} ({picked.accuracy:.2%})" if picked.accuracy is not None else about


def picked_model(key: str, title: str, step_key: str, stored: dict) -> Picked:
    """The model of a choice at the step its "At step" slider (drawn here) says. Raises
    StoreError, CheckpointError or OSError."""
    job, upload = st.session_state.get("job"), st.session_state.get("uploaded_model")
    model_key, model = model_of(key, job, upload)
    run = timeline_for(key, job, upload)
    about, accuracy = describe(key, job, upload, stored)
    if run is None:
        chosen = Picked(model_key, model, title)
    else:
        chosen = at_step(run, step_models.choose_step(run, step_key), model, model_key)
    return replace(chosen, about=about, accuracy=accuracy)


def choose(
    select_key: str = "model_choice",
    step_key: str = "model_step",
    label: str = "Model",
    upload: bool = True,
    avoid: str | None = None,
) -> Picked | None:
    """A model chooser: the selectbox, the run's "At step" slider when it kept a timeline, and
    (`upload`) the uploader. It starts on the student's newest finished run, else the shipped
    model, never on `avoid`'s (a model key). The chosen model, or None after an error line."""
    job = st.session_state.get("job")
    uploaded = st.session_state.get("uploaded_model")
    tab, stored = tab_runs(job.job_id if job is not None else None), run_choices()
    listed = choices(job, uploaded["name"] if uploaded else None, tab, stored)
    labels = {c.key: c.label for c in listed}
    own = [c.key for c in stored if c.own and reads_digits(c.accuracy)]
    newest = newest_run(labels, job, [r for r in tab if reads_digits(r.get("test_accuracy"))], own)
    start(select_key, labels, newest, avoid)
    key = st.selectbox(
        label,
        list(labels),
        format_func=labels.get,
        key=select_key,
        help=CHOOSER_HELP,
        on_change=picked,
        args=(select_key,),
        persist_state="session",  # kept while a page without the chooser is shown
    )
    offer(select_key, newest, avoid)
    try:  # the title: "Run 12", "Saved: x", "Shipped model"
        chosen = picked_model(key, labels[key].split(" (")[0], step_key, {c.key: c for c in stored})
    except (StoreError, CheckpointError) as error:  # a checkpoint's message names it
        chosen, problem = None, str(error)
    except OSError as error:
        chosen, problem = None, f"{checkpoint_path(key).name}: {error.strerror or error}"
    if upload:
        if chosen is not None:
            onnx_download(st, chosen.model, chosen.key)
        uploader()
    if chosen is None:
        st.error(plain(problem))
    return chosen


def choose_model() -> tuple[str, object] | None:
    """The sidebar's model chooser and uploader; (model key, model) or None with an error."""
    chosen = choose()
    return None if chosen is None else (chosen.key, chosen.model)
