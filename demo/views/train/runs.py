"""The Train page's "Your runs": every run of this nickname, from this tab and the run store.

A run trained in this tab is there at once (with its model in memory); the run store adds the
nickname's runs from before a reload, a server restart or another computer, each with its curve,
result, Save, Download and Restore settings. Without a store, the tab's runs only, as before.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from demo.figures import train_charts
from demo.session.settings import (
    FIELDS,
    preset_settings,
    settings_from_config,
    settings_from_query,
    settings_to_query,
)
from demo.session.store_state import run_store
from demo.ui.screen import chart
from demo.ui.text import plain
from demo.views.train.results import savable, save_controls
from lenet.config import ModelConfig, TrainConfig
from lenet.errors import ConfigError
from lenet.store.runs import RunRow, StoreError
from lenet.store.table import settings_in_words
from lenet.training.trainer import Evaluation

EVALUATION_FIELDS = tuple(Evaluation.__dataclass_fields__)


def evaluations(curves) -> list[Evaluation]:
    """A stored curve (a list of evaluation dicts) as the events the charts draw."""
    found = []
    for point in curves:
        try:
            found.append(Evaluation(**{k: point[k] for k in EVALUATION_FIELDS}))
        except (KeyError, TypeError):
            continue  # a point this version cannot read is left out of the chart
    return found


def values_of(row: RunRow) -> dict | None:
    """The Train page's settings for a stored run: its own (a run stored by another version may
    lack some: the preset's fill them), else, for a CLI run, from its train config on top of the
    Classic preset; None when the controls cannot take them (a CLI run's momentum 0.999)."""
    app = row.app_settings or {}
    try:
        if app:
            values = {**preset_settings(str(app.get("preset", "classic"))), **app}
            values = {k: values[k] for k in FIELDS}
        else:
            values = settings_from_config(TrainConfig.from_dict(row.settings), "classic")
        if settings_from_query(settings_to_query(values))[1]:  # a value the controls cannot show
            raise ValueError("out of range")
        return values
    except (ConfigError, KeyError, TypeError, ValueError):
        return None


def model_of(row: RunRow) -> ModelConfig | None:
    """The model a stored run trained (its settings as recorded, which the page's controls may
    not be able to show); None when they name no model."""
    try:
        return ModelConfig(**row.settings.get("model", {}))
    except (ConfigError, TypeError):
        return None


def trained_epochs(row: RunRow, values: dict | None) -> int:
    """How many epochs a stored run was set to train (its own settings first)."""
    epochs = row.settings.get("epochs")
    if isinstance(epochs, int) and not isinstance(epochs, bool) and epochs > 0:
        return epochs
    return (values or preset_settings("classic"))["epochs"]


def stored_run(row: RunRow, with_weights: bool) -> dict:
    """A stored run as "Your runs" holds it: labelled by the settings it trained with (the
    controls may not be able to show them: then it has no settings to restore)."""
    values = values_of(row)
    return {
        "job_id": f"stored{row.id}",
        "run_id": row.id,
        "number": row.id,
        "label": settings_in_words(row.settings),
        "values": values or preset_settings("classic"),
        "restorable": values is not None,
        "epochs": trained_epochs(row, values),
        "evaluations": evaluations(row.curves),
        "outcome": row.status,
        "test_accuracy": row.test_accuracy,
        "snap": None,
        "model": None,
        "stored_weights": with_weights,
        "steps": row.steps,
        "model_config": model_of(row),
        "ended": (row.finished_at or row.created_at).astimezone(),
        "optimizer": row.settings.get("optimizer") if values is None else values["optimizer"],
        "source": row.source,
        "message": row.message,
    }


def stored_runs(nickname: str, known: set[int]) -> list[dict]:
    """The nickname's runs in the store that this tab does not hold already."""
    store = run_store()
    if store is None:
        return []
    try:
        rows = [r for r in store.runs(name=nickname, with_curves=True) if r.id not in known]
        weights = store.with_weights([r.id for r in rows])
    except StoreError as error:
        st.session_state["store_error"] = str(error)
        return []
    return [stored_run(row, row.id in weights) for row in rows]


def still_stored(runs: list[dict]) -> list[dict]:
    """The tab's runs without those the teacher deleted from the store since."""
    store, ids = run_store(), [r["run_id"] for r in runs if r.get("run_id")]
    if store is None or not ids:
        return runs
    try:
        there = store.existing(ids)
    except StoreError:
        return runs
    return [r for r in runs if not r.get("run_id") or r["run_id"] in there]


def your_runs(nickname: str) -> list[dict]:
    """This tab's finished runs and the nickname's stored ones, newest first."""
    job = st.session_state.get("job")
    mine: list[dict] = still_stored(st.session_state.get("runs", []))
    known = {r["run_id"] for r in mine if r.get("run_id")}
    if job is not None and job.recorder is not None:
        known.add(job.recorder.run_id)  # the run on the page above
    runs = mine + stored_runs(nickname, known)
    return sorted(runs, key=lambda r: r["ended"].timestamp(), reverse=True)


def status_text(run: dict) -> str:
    accuracy = run["test_accuracy"]
    where = " · from the CLI" if run.get("source") == "cli" else ""
    why = run.get("message") if run["outcome"] in ("interrupted", "failed") else None
    return (
        run["outcome"]
        + (f" · **{accuracy:.2%}**" if accuracy else "")
        + where
        + (f"  \n:gray[{plain(why)}]" if why else "")
    )


def compare_runs(
    nickname: str, runs: list[dict], disabled: bool, apply_settings: Callable[[dict], None]
) -> None:
    """Every run of the nickname (`your_runs`, read once a page run): their validation curves,
    and each one's result, Save and Download and Restore settings."""
    if not runs:
        return
    st.subheader("Your runs")
    curves = [(f"#{r['number']} {r['label']}", r["evaluations"]) for r in runs if r["evaluations"]]
    if curves:
        chart(st, train_charts.comparison_figure(curves[::-1]), key="compare_chart")
    if run_store() is not None:
        st.caption(
            f"Every run of **{plain(nickname)}** is kept on the server. Give the same nickname "
            "after a reload or on another day to find them here again. The Draw and Inspect "
            "pages offer them as models too."
        )
    else:
        st.caption(
            "Every run stays here, savable and downloadable, until you close this tab (a reload "
            "keeps them): save the ones you want to keep."
        )
    for run in runs:  # a row keyed by its run: a new run on top leaves an open popover alone
        row = st.container(key=f"run_row_{run['job_id']}")
        left, middle, keep, restore = row.columns([5, 2, 2, 2], vertical_alignment="center")
        left.markdown(f"**#{run['number']}** {run['label']}")
        middle.markdown(status_text(run))
        if savable(run):
            with keep.popover("Save or download", width="stretch", key=f"keep_{run['job_id']}"):
                save_controls(run, "table")
        restorable = run.get("restorable", True)
        restore.button(
            "Restore settings",
            key=f"restore_{run['job_id']}",
            disabled=disabled or not restorable,
            on_click=apply_settings,
            args=(run["values"],),
            width="stretch",
            help="Put this run's settings back in the controls in the sidebar."
            if restorable
            else "The sidebar's controls cannot show some of this run's settings (it was "
            "trained from the command line).",
        )
