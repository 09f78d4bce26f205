"""The Train page's lower half: a finished run's results with Save and Download (for any run of
the session or of the run store), and the share link. The runs table is `train_runs`."""

from __future__ import annotations

import re
from datetime import datetime

import streamlit as st

from demo.classroom import saved as saved_files
from demo.figures import train_charts
from demo.models.export import onnx_download
from demo.models.stored import stored_checkpoint
from demo.models.timelines import run_timeline, with_timeline
from demo.session.nickname import nickname
from demo.session.settings import FIELDS, describe, settings_to_query
from demo.session.share import network_base, student_link
from demo.training.jobs import JobSnapshot, TrainingJob
from demo.ui.screen import chart
from demo.views.train import class_digits
from demo.views.train.settings import LEARN, apply_settings
from lenet.errors import CheckpointError
from lenet.files.checkpoint import (
    DEFAULT_CHECKPOINT,
    checkpoint_bytes,
    checkpoint_dir,
    save_checkpoint,
)
from lenet.model import LeNet5
from lenet.store import recorder
from lenet.store.runs import StoreError
from lenet.training.advice import advise
from lenet.training.trainer import Finished, event_to_dict

TIMELINES_KEPT = 3  # the tab's newest runs keep their timeline in memory (~10 MB a Quick demo);
# older ones are read back from the run store, and without a store they have none
NAME_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


def remember_run(snap: JobSnapshot, job: TrainingJob, values: dict) -> dict:
    """Keep a finished run for the session: settings, curve, result and its trained model, so
    it stays savable and downloadable after later runs. Numbered as in the run store (1, 2, ...
    per session when it is not stored)."""
    runs: list[dict] = st.session_state.setdefault("runs", [])
    for run in runs:
        if run["job_id"] == snap.job_id:
            return run
    run_id = job.recorder.run_id if job.recorder is not None else None
    run = {
        "job_id": snap.job_id,
        "run_id": run_id,
        "number": run_id or len(runs) + 1,
        "label": describe(values),
        "values": dict(values),
        "evaluations": snap.evaluations,
        "outcome": snap.status,
        "test_accuracy": snap.finished.test_accuracy if snap.finished else None,
        "snap": snap,
        "model": job.model,
        "timeline": job.timeline(),
        "ended": datetime.now(),
        "optimizer": snap.config.optimizer,
    }
    runs.append(run)
    for older in runs[:-TIMELINES_KEPT]:  # stored ones are read back from the store
        older["timeline"] = None
    return run


def savable(run: dict) -> bool:
    """A run whose network is worth keeping: it finished or was stopped, with weights."""
    has_weights = run["model"] is not None or run.get("stored_weights", False)
    return has_weights and run["outcome"] in ("done", "stopped")


def run_checkpoint(run: dict) -> tuple[LeNet5, dict]:
    """(model, checkpoint meta with the run's timeline) of a run of this session or of the run
    store."""
    if run["model"] is not None:
        model, meta = run["model"], checkpoint_meta(run["snap"], f"run{run['number']}")
    else:
        model, meta = stored_checkpoint(run["run_id"])
    return model, with_timeline(meta, run_timeline(run))


def checkpoint_meta(snap: JobSnapshot, name: str) -> dict:
    curves = [event_to_dict(e) for e in snap.evaluations]
    return recorder.checkpoint_meta(snap.config, snap.finished, curves, name)


def save_model(run: dict, name: str) -> None:
    """Save under checkpoints/<name>.pt; never over another file."""
    if not NAME_RULE.match(name):
        st.error(
            "A model name is 1 to 40 letters, digits, '-' or '_', starting with a letter or digit."
        )
        return
    if refused := saved_files.refusal(nickname()):
        st.error(refused)
        return
    path = checkpoint_dir() / f"{name}.pt"
    if path.exists() or path.resolve() == DEFAULT_CHECKPOINT.resolve():
        st.error(f"{path.name} already exists. Choose another name: nothing was overwritten.")
        return
    try:
        model, meta = run_checkpoint(run)
        save_checkpoint(path, model, {**meta, "name": name}, overwrite=False)
    except (CheckpointError, StoreError) as error:
        st.error(str(error))
        return
    saved_files.record(path.name, nickname())
    st.session_state.setdefault("saved", {})[run["job_id"]] = path.name
    st.success(f"Saved as {path.name} in {path.parent.name}/.")


def stopped_summary(finished: Finished, total_steps: int) -> str:
    """What a run stopped by the student reached, with no blame on the settings."""
    share = finished.step / max(total_steps, 1)
    text = (
        f"Stopped after {finished.step:,} of {total_steps:,} steps ({share:.0%} of the run); "
        f"test accuracy so far: {finished.test_accuracy:.2%}."
    )
    if finished.test_accuracy < 0.5:
        text += " It had little time to learn: let the next run go longer."
    return text


def outcome(snap: JobSnapshot, job: TrainingJob, values: dict) -> None:
    """What a finished run shows first: the verdict, test accuracy, save and download (its
    accuracy per digit comes after its charts: `per_digit`)."""
    run = remember_run(snap, job, values)
    if snap.status == "failed":
        st.error(snap.error or "Training failed.")
        return
    if snap.status == "diverged":
        st.error(
            f"The loss blew up at step {snap.finished.step:,}: the network diverged.",
            icon=":material/trending_up:",
        )
        advice_line(advise(snap.config, diverged=True))
        return
    finished = snap.finished
    if finished is None:  # stopped while it waited for a slot: it never trained
        why = f" {snap.note}" if snap.note else ""
        st.info(
            f"Stopped before it started: nothing was trained.{why}", icon=":material/stop_circle:"
        )
        return
    total = snap.started.total_steps if snap.started else finished.step
    verdict = "finished" if finished.outcome == "done" else "stopped"
    # one metric and one line: four metrics filled a phone's screen and cut "#12 fin…" on a
    # projector, pushing the charts out of view
    st.metric(
        "Test accuracy",
        f"{finished.test_accuracy:.2%}",
        help="Share of the 10,000 MNIST test images read right: images the network "
        "never saw while training.",
    )
    st.caption(
        f"Run #{run['number']} {verdict} after {finished.step:,} steps. Training time: "
        f"{finished.seconds:.1f} s."
    )
    if finished.outcome == "stopped":
        why = f" {snap.note}" if snap.note else ""
        st.info(stopped_summary(finished, total) + why, icon=":material/stop_circle:")
    elif finished.test_accuracy < 0.2:
        advice_line(advise(snap.config))
    class_digits.result(snap, job)
    save_controls(run, "result")


def advice_line(advice) -> None:
    """What to try after a run that learned nothing or diverged, and a button that sets the
    suggested learning rate (unless the teacher fixed the settings)."""
    st.warning(advice.message, icon=":material/lightbulb:")
    if advice.lr is not None and not st.session_state.get("locked"):
        st.button(
            f"Use learning rate {advice.lr:g}",
            icon=":material/tune:",
            key="use_advice",
            on_click=apply_settings,
            args=({"lr": advice.lr},),
            help="Put this learning rate in the settings. Then press Start training.",
        )


def per_digit(job: TrainingJob | None) -> None:
    """A finished run's test accuracy for each digit, under its charts."""
    snap = job.snapshot() if job is not None else None
    if snap is not None and snap.finished is not None and snap.finished.per_class_accuracy:
        figure = train_charts.per_class_figure(snap.finished.per_class_accuracy)
        chart(st, figure, key="per_class")


def save_controls(run: dict, where: str) -> None:
    """Save on the server under a name, or download: for any finished run of the session."""
    saved = st.session_state.get("saved", {}).get(run["job_id"])
    number = run["number"]
    # beside each other under a result; one above the other in the runs table's narrow popover
    left, right = st.columns([3, 2], vertical_alignment="bottom") if where == "result" else (st, st)
    with left.form(f"save_{where}_{run['job_id']}", border=False):
        name = st.text_input(
            "Model name",
            value=f"lenet5_{run['optimizer']}_run{number}_{run['ended']:%H%M%S}",
            help="Letters, digits, '-' and '_'. The model is saved in the "
            "checkpoints folder on the server, where the Draw and Inspect pages find it.",
            disabled=saved is not None,
        )
        if st.form_submit_button(
            "Save model",
            disabled=saved is not None,
            help="Keep this network on the server to use it later.",
        ):
            save_model(run, name.strip())
    if saved:
        left.caption(f"Saved as {saved}.")
    right.download_button(
        "Download the model (.pt)",
        data=lambda: checkpoint_bytes(*run_checkpoint(run)),
        file_name=f"lenet5_{run['optimizer']}_run{number}.pt",
        mime="application/octet-stream",
        help="A checkpoint file for `python -m lenet.predict --checkpoint` or another server.",
        key=f"download_{where}_{run['job_id']}",
    )
    onnx_download(
        right,
        lambda: run_checkpoint(run)[0],
        f"{run['optimizer']}_run{number}",
        key=f"onnx_{where}_{run['job_id']}",
    )


def share_box(values: dict, locked: bool) -> None:
    with st.expander("Share these settings", icon=":material/share:"):
        network = network_base()
        page = st.context.url or ""
        learn = st.session_state.get(LEARN, False)  # the class's digits too: in the link
        open_link = student_link(page, network, settings_to_query(values, learn=learn))
        locked_link = student_link(page, network, settings_to_query(values, True, learn=learn))
        if open_link.note:
            st.info(open_link.note, icon=":material/lan:")
        if open_link.url is None:
            return
        st.markdown("Anyone who opens this link starts with exactly these settings:")
        st.code(open_link.url, language=None, wrap_lines=True)  # whole on a phone
        st.markdown("The same link with **lock=1** also fixes the controls, for a class exercise:")
        st.code(locked_link.url, language=None, wrap_lines=True)
        changed = [
            FIELDS[k].label for k in settings_to_query(values) if k in FIELDS and k != "preset"
        ]
        st.caption(
            "Changed from the preset: "
            + (", ".join(changed) if changed else "nothing")
            + (". This page was opened with a locked link." if locked else ".")
        )
