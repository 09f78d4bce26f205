"""The Train page's lower half: a finished run's results and saving, past runs, the share link."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode

import streamlit as st

from demo import charts
from demo.jobs import JobSnapshot, TrainingJob
from demo.settings import FIELDS, describe, settings_to_query
from lenet.checkpoint import DEFAULT_CHECKPOINT, checkpoint_bytes, checkpoint_dir, save_checkpoint
from lenet.errors import CheckpointError
from lenet.train import event_to_dict

NAME_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


def remember_run(snap: JobSnapshot, values: dict) -> None:
    """Keep a finished run's settings and curve for the comparison (once per run)."""
    runs: list[dict] = st.session_state.setdefault("runs", [])
    if any(run["job_id"] == snap.job_id for run in runs):
        return
    accuracy = snap.finished.test_accuracy if snap.finished else None
    runs.append(
        {
            "job_id": snap.job_id,
            "label": describe(values),
            "values": dict(values),
            "evaluations": snap.evaluations,
            "outcome": snap.status,
            "test_accuracy": accuracy,
        }
    )


def checkpoint_meta(snap: JobSnapshot, name: str) -> dict:
    finished = snap.finished
    return {
        "name": name,
        "train_config": snap.config.to_dict(),
        "metrics": {
            "test_accuracy": finished.test_accuracy,
            "per_class_accuracy": list(finished.per_class_accuracy),
            "seconds": finished.seconds,
            "outcome": finished.outcome,
            "steps": finished.step,
        },
        "history": [event_to_dict(e) for e in snap.evaluations],
    }


def save_model(snap: JobSnapshot, job: TrainingJob, name: str) -> None:
    """Save under checkpoints/<name>.pt; never over another file."""
    if not NAME_RULE.match(name):
        st.error(
            "A model name is 1 to 40 letters, digits, '-' or '_', starting with a letter or digit."
        )
        return
    path = checkpoint_dir() / f"{name}.pt"
    if path.exists() or path.resolve() == DEFAULT_CHECKPOINT.resolve():
        st.error(f"{path.name} already exists: choose another name (nothing was overwritten).")
        return
    try:
        save_checkpoint(path, job.model, checkpoint_meta(snap, name))
    except CheckpointError as error:
        st.error(str(error))
        return
    st.session_state.setdefault("saved", {})[snap.job_id] = path.name
    st.success(f"Saved as {path.name} in {path.parent.name}/.")


def outcome(snap: JobSnapshot, job: TrainingJob, values: dict) -> None:
    """What a finished run shows: the verdict, test accuracy, per-class bars, save/download."""
    remember_run(snap, values)
    if snap.status == "failed":
        st.error(snap.error or "Training failed.")
        return
    if snap.status == "diverged":
        st.error(snap.finished.message, icon=":material/trending_up:")
        st.caption(
            "Diverged means the loss blew up: each step overshot so far that the weights "
            "became useless. Lower the learning rate in the settings and start again."
        )
        return
    finished = snap.finished
    verdict = "finished" if finished.outcome == "done" else "stopped early"
    cols = st.columns(4)
    cols[0].metric(
        "Test accuracy",
        f"{finished.test_accuracy:.2%}",
        help="Share of the 10,000 MNIST test images read right: images the network "
        "never saw while training.",
    )
    cols[1].metric("Run", verdict)
    cols[2].metric("Training time", f"{finished.seconds:.1f} s")
    cols[3].metric("Steps", f"{finished.step:,}")
    if finished.test_accuracy < 0.2:
        st.warning(
            "The network learned (almost) nothing: guessing gives 10%. A learning rate "
            "far too high (tanh saturates instead of exploding) or far too low does this."
        )
    st.plotly_chart(charts.per_class_figure(finished.per_class_accuracy), key="per_class")
    save_controls(snap, job)


def save_controls(snap: JobSnapshot, job: TrainingJob) -> None:
    saved = st.session_state.get("saved", {}).get(snap.job_id)
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    with left.form(f"save_{snap.job_id}", border=False):
        name = st.text_input(
            "Model name",
            value=f"lenet5_{snap.config.optimizer}_run{snap.job_id}",
            help="Letters, digits, '-' and '_'. The model is saved in the "
            "checkpoints folder on the server.",
            disabled=saved is not None,
        )
        if st.form_submit_button(
            "Save model",
            disabled=saved is not None,
            help="Keep this network on the server to use it later.",
        ):
            save_model(snap, job, name.strip())
    if saved:
        left.caption(f"Saved as {saved}.")
    right.download_button(
        "Download the model (.pt)",
        data=lambda: checkpoint_bytes(job.model, checkpoint_meta(snap, "download")),
        file_name=f"lenet5_run{snap.job_id}.pt",
        mime="application/octet-stream",
        help="A checkpoint file for `python -m lenet.predict --checkpoint` or another server.",
        key=f"download_{snap.job_id}",
    )


def compare_runs(disabled: bool, apply_settings: Callable[[dict], None]) -> None:
    runs = [run for run in st.session_state.get("runs", []) if run["evaluations"]]
    if not runs:
        return
    st.subheader("Compare your runs")
    st.plotly_chart(
        charts.comparison_figure(
            [(f"#{r['job_id']} {r['label']}", r["evaluations"]) for r in runs]
        ),
        key="compare_chart",
    )
    for run in reversed(runs):
        left, middle, right = st.columns([6, 2, 2], vertical_alignment="center")
        left.markdown(f"**#{run['job_id']}** {run['label']}")
        accuracy = run["test_accuracy"]
        middle.markdown(f"{run['outcome']}" + (f" · **{accuracy:.2%}**" if accuracy else ""))
        right.button(
            "Restore settings",
            key=f"restore_{run['job_id']}",
            disabled=disabled,
            on_click=apply_settings,
            args=(run["values"],),
            help="Put this run's settings back in the controls on the left.",
        )


def share_box(values: dict, locked: bool) -> None:
    with st.expander("Share these settings", icon=":material/share:"):
        base = st.context.url or ""
        open_link = f"{base}?{urlencode(settings_to_query(values))}"
        locked_link = f"{base}?{urlencode(settings_to_query(values, locked=True))}"
        st.markdown("Anyone who opens this link starts with exactly these settings:")
        st.code(open_link, language=None)
        st.markdown("The same link with **lock=1** also fixes the controls, for a class exercise:")
        st.code(locked_link, language=None)
        changed = [
            FIELDS[k].label for k in settings_to_query(values) if k in FIELDS and k != "preset"
        ]
        st.caption(
            "Changed from the preset: "
            + (", ".join(changed) if changed else "nothing")
            + (". This page was opened with a locked link." if locked else ".")
        )
