"""The teacher's tools for runs (the Class page, with the key): stop a run in progress, delete a
run, clear the class, each deletion confirmed first; remove a model a student saved. Deleting a
run in progress stops it too, and its late writes are dropped quietly (`demo.training.fair_share`,
`lenet.store.recorder`). A store that cannot do it (a full disk, a lock) is one line, never the
error box."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, tzinfo

import streamlit as st

from demo.classroom import board as class_data
from demo.classroom import saved as saved_files
from demo.classroom.digit_tools import digit_tools
from demo.session.store_state import class_runs
from demo.training.state import class_runs_now
from demo.ui.text import plain
from lenet.store import table as run_table
from lenet.store.runs import RunRow, RunStore, StoreError

CONFIRM, DONE = "class_confirm", "class_done"
KEPT = "class_delete_kept"  # the run to delete, as worded when chosen (while it stays chosen)


def run_tools(
    store: RunStore,
    zone: tzinfo | None,
    hide: bool,
    me: str,
    still_unlocked: Callable[[], bool],
) -> None:
    """Stop or delete a run, or clear the class; the runs offered follow the store, named as
    the table shows them (`hide`: names hidden; `me`: the viewer's nickname). The chosen run
    keeps the words it had when chosen: the browser holds a choice by its words, so a run that
    finishes meanwhile stays chosen (the confirm step says its result now). `still_unlocked`:
    asked again before a deletion (the key may have been taken away)."""
    try:
        rows = class_data.ranked(class_runs(store)[1])
    except StoreError as error:
        st.error(str(error))
        return
    if done := st.session_state.pop(DONE, None):
        (st.warning if done.startswith("!") else st.success)(done.removeprefix("!"))
    labels = run_labels(rows, hide, me, zone)
    choice = choose(labels)
    in_progress = class_runs_now().in_progress()
    buttons = st.container(horizontal=True)
    buttons.button(
        "Stop this run",
        disabled=choice not in in_progress,
        key="class_stop",
        on_click=stop,
        args=(choice,),
        help="End a run that is training now. It keeps what it has learned, and its student "
        "sees that the teacher stopped it.",
    )
    if buttons.button(
        "Delete this run",
        disabled=choice is None,
        key="class_delete",
        help="A run in progress is stopped first. You confirm first.",
    ):
        st.session_state[CONFIRM] = ("delete", choice)
    if buttons.button(
        f"Clear the class ({len(rows)} runs)",
        disabled=not rows,
        key="class_clear",
        help="Deletes every run of the class for good, and stops those in progress. You "
        "confirm first.",
    ):
        st.session_state[CONFIRM] = ("clear", None)
    confirm(store, {r.id: r for r in rows}, labels, still_unlocked)
    saved_models()
    digit_tools(store, hide, still_unlocked)


def saved_models() -> None:
    """The models students saved (checkpoints/), with who saved each; one removed at a time."""
    files, who = saved_files.saved_files(), saved_files.saved_by()
    if not files:
        return
    labels = {
        p.name: f"{p.name} · saved by {who[p.name]}"
        if p.name in who
        else f"{p.name} · placed in the folder"
        for p in files
    }
    chosen = st.selectbox(
        f"Saved models ({len(files)})",
        list(labels),
        index=None,
        format_func=labels.get,
        key="class_saved_choice",
        placeholder="Choose a saved model to remove.",
        help="Models students saved with Save on the Train page, offered in every model "
        "chooser. Each nickname may keep a few; removing one frees a place.",
    )
    st.button(
        "Remove this model",
        disabled=chosen is None,
        key="class_saved_remove",
        on_click=remove_saved,
        args=(chosen,),
        help="Deletes the file for good. Runs in the table are not touched.",
    )


def remove_saved(file_name: str) -> None:
    gone = saved_files.remove(file_name)
    st.session_state[DONE] = f"Removed {file_name}." if gone else f"{file_name} was already gone."
    st.session_state.pop("class_saved_choice", None)


def choose(labels: dict[int, str]) -> int | None:
    """The run to delete (its id); the chosen one keeps the words it had when chosen."""
    shown = dict(labels)
    kept = st.session_state.get(KEPT)  # (run id, its words when chosen)
    if kept and kept[0] == st.session_state.get("class_delete_choice") and kept[0] in shown:
        shown[kept[0]] = kept[1]  # the browser holds the choice by its words: keep them
    choice = st.selectbox(
        "Run to delete",
        list(shown),
        index=None,
        format_func=lambda run_id: shown.get(run_id, "a run that is gone"),
        key="class_delete_choice",
        placeholder="Choose a run. They are listed as in the table.",
        help="The run, its curves and its weights are deleted for good. You confirm first.",
    )
    st.session_state[KEPT] = (choice, shown[choice]) if choice in shown else None
    return choice


def run_labels(
    rows: list[RunRow], hide: bool, me: str, zone: tzinfo | None = None
) -> dict[int, str]:
    """Run id -> the run as the table shows it: 'Rank 2 · Maya (you) · 98.12% · started 14:05 ·
    AdamW, learning rate 0.003, ...' (a run without a result: its status in place of the rank).
    `rows` ranked (class_data.ranked)."""
    names = class_data.you_labels(rows, class_data.shown_names(rows, hide), me)
    today = datetime.now(zone).date()
    labels = {}
    for rank, row in zip(class_data.ranks(rows), rows, strict=True):
        status = class_data.status_words(row)
        parts = [f"Rank {rank}" if rank else status.capitalize(), names[row.id]]
        if row.test_accuracy is not None:
            outcome = "" if status == "finished" else f" ({status})"
            parts.append(f"{100 * row.test_accuracy:.2f}%{outcome}")
        parts.append(f"started {class_data.when(row.created_at, zone, today)}")
        labels[row.id] = " · ".join([*parts, run_table.settings_in_words(row.settings)])
    twins = Counter(labels.values())  # the same words twice: the browser could not tell them
    return {i: f"{text} · run {i}" if twins[text] > 1 else text for i, text in labels.items()}


def confirm(
    store: RunStore,
    rows: dict[int, RunRow],
    labels: dict[int, str],
    still_unlocked: Callable[[], bool],
) -> None:
    """The confirm step of a delete or a clear asked for; then it happens, or not."""
    if (asked := st.session_state.get(CONFIRM)) is None:
        return
    action, target = asked
    with st.container(border=True):
        if action == "delete" and target in rows:
            st.warning(
                f"Delete this run for good, with its curves and weights? {plain(labels[target])}"
            )
        elif action == "delete":
            st.info("That run is already deleted.")
        else:
            st.warning(f"Delete all {len(rows)} runs of the class for good?")
        answer = st.container(horizontal=True)
        if answer.button("Yes, delete", type="primary", help="This cannot be undone."):
            st.session_state.pop(CONFIRM)
            if not still_unlocked():  # the key was taken away meanwhile
                return
            st.session_state[DONE] = (
                delete(store, target, labels) if action == "delete" else clear(store)
            )
            st.rerun()
        answer.button(
            "Cancel", on_click=lambda: st.session_state.pop(CONFIRM, None), help="Keep it."
        )


def stop(run_id: int) -> None:
    stopped = class_runs_now().stop(run_id, note="The teacher stopped it.")
    st.session_state[DONE] = "Stopped." if stopped else "It had ended already."


def delete(store: RunStore, target: int, labels: dict[int, str]) -> str:
    """Delete one run and stop it if it is in progress (its last writes find no row and are
    dropped); what the page says ("!": a warning)."""
    try:
        gone = store.delete(target)
    except StoreError as error:
        return f"!Nothing was deleted: {error}"
    class_runs_now().stop(target, note="The teacher deleted it.", forget=True)
    what = plain(labels.get(target, "the run"))
    return f"Deleted: {what}." if gone else "It was already gone."


def clear(store: RunStore) -> str:
    """Delete every run and stop those in progress; what the page says."""
    try:
        count = store.clear()
    except StoreError as error:
        return f"!Nothing was deleted: {error}"
    fair = class_runs_now()
    for run_id in fair.in_progress():
        fair.stop(run_id, note="The teacher cleared the class.", forget=True)
    return f"The class is cleared: {count} runs deleted."
