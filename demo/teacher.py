"""The teacher key (`LENET_TEACHER_KEY`) and what it unlocks on the Class page: hiding names for
everyone (a server-wide flag, until the server restarts), deleting a run and clearing the class,
each after a confirm step. Hiding needs no key in one view: the link's `hide=1` (a projector's
bookmark) hides names there.
The key is compared in constant time; after a few wrong keys from one address (counted for the
whole server: a reload or a new tab does not start afresh) each try waits longer."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime, tzinfo

import streamlit as st

from demo import class_data
from demo.nickname import nickname
from demo.store_state import class_runs
from demo.teacher_key import (  # noqa: F401  (ENV, FREE_TRIES, KeyGate, _gates: for tests)
    ENV,
    FREE_TRIES,
    KeyGate,
    _gates,
    client_gate,
    teacher_key,
)
from demo.text import plain
from lenet import run_table
from lenet.store import RunRow, RunStore, StoreError

UNLOCKED, HIDE, CONFIRM, NOTE, DONE = (
    "class_unlocked", "class_hide_for_all", "class_confirm", "class_note", "class_done"
)  # fmt: skip
KEPT = "class_delete_kept"  # the run to delete, as worded when chosen (while it stays chosen)
LINK_HIDE = "hide_names"  # session state: the link's hide=1 (demo/views/train_settings.py)
REFRESH_S = 5  # how often the Class page (and the runs to delete) look for new runs


def unlocked() -> bool:
    """Whether this tab gave the key (and the server still has one)."""
    return bool(st.session_state.get(UNLOCKED)) and teacher_key() is not None


class ServerFlag:
    """A yes/no shared by every session of this server (lost when the server restarts)."""

    def __init__(self) -> None:
        self._lock, self._on = threading.Lock(), False

    def get(self) -> bool:
        with self._lock:
            return self._on

    def set(self, on: bool) -> None:
        with self._lock:
            self._on = bool(on)


@st.cache_resource(show_spinner=False)
def _hidden_for_all() -> ServerFlag:
    return ServerFlag()


def names_hidden_for_all() -> bool:
    """Whether the teacher hid the names for everyone (every page, every session)."""
    return _hidden_for_all().get()


def names_hidden_by_link() -> bool:
    """Whether this tab's link has `hide=1` (read once per session by init_from_link)."""
    return bool(st.session_state.get(LINK_HIDE, False))


def hidden_names() -> bool:
    """Whether this view shows Student 1, 2, ...: hidden for everyone, or by the link."""
    return names_hidden_for_all() or names_hidden_by_link()


def _toggle_hidden_for_all() -> None:
    if unlocked():  # the key may have been taken away since the toggle was drawn
        _hidden_for_all().set(st.session_state.get(HIDE, False))


def check_key() -> None:
    """The key input's callback: unlock, or count a wrong key (see KeyGate)."""
    lock, gate = client_gate()
    given, expected = st.session_state.get("class_key", ""), teacher_key()
    st.session_state["class_key"] = ""
    if not given.strip() or expected is None:
        return
    with lock:
        result = gate.attempt(given, expected, time.monotonic())
    st.session_state[UNLOCKED] = result == "open"
    st.session_state[NOTE] = {
        "open": None,
        "wrong": "That is not the teacher key.",
        "wait": f"Too many wrong keys. Try again in {gate.wait_s(time.monotonic())} seconds.",
    }[result]


def teacher_section(store: RunStore, zone: tzinfo | None = None) -> None:
    """The key, or (unlocked) the teacher's tools; where to set the key when the server has none.
    `zone`: the viewer's time zone, for the start times in the list of runs to delete."""
    with st.expander("Teacher", icon=":material/key:", expanded=False):
        st.caption(
            "For a projector, open this page as **/class?hide=1**. Names then show as Student "
            "1, 2, and so on in that view. No key is needed, and they stay hidden after a "
            "reload. Turn on *Projector view* at the top for larger text."
        )
        if teacher_key() is None:
            st.markdown(
                "Some tools need a teacher key: hiding names for everyone, deleting a run and "
                f"clearing the class. Start the app with a key, for example "
                f"`{ENV}=choose-a-secret make demo`. Then type it here."
            )
            return
        if not unlocked():
            st.text_input(
                "Teacher key",
                type="password",
                key="class_key",
                on_change=check_key,
                help=f"The key the server was started with ({ENV}). It opens the teacher's "
                "tools in this tab only.",
            )
            if note := st.session_state.get(NOTE):
                st.error(note)
            return
        st.session_state[HIDE] = names_hidden_for_all()  # another teacher tab may have changed it
        st.toggle(
            "Hide names for everyone",
            key=HIDE,
            on_change=_toggle_hidden_for_all,
            help="Names show as Student 1, 2, and so on, for everyone on this server. That is in "
            "the table, the charts and the CSV. Each student keeps the same number. It lasts "
            "until you turn it off or the server restarts.",
        )
        st.fragment(run_every=REFRESH_S)(delete_tools)(store, zone)
        st.button("Lock", on_click=lock, help="Lock the teacher tools in this tab again.")


def delete_tools(store: RunStore, zone: tzinfo | None = None) -> None:
    """Delete a run or clear the class, each confirmed first; the runs offered follow the store,
    named as the table shows them. The chosen run keeps the words it had when chosen: the
    browser holds a choice by its words, so a run that finishes meanwhile stays chosen (the
    confirm step says its result now)."""
    try:
        rows = class_data.ranked(class_runs(store)[1])
    except StoreError as error:
        st.error(str(error))
        return
    if done := st.session_state.pop(DONE, None):
        st.success(done)
    labels = run_labels(rows, hidden_names(), nickname(), zone)
    choice = choose(labels)
    buttons = st.container(horizontal=True)
    if buttons.button(
        "Delete this run",
        disabled=choice is None,
        key="class_delete",
        help="You confirm first.",
    ):
        st.session_state[CONFIRM] = ("delete", choice)
    if buttons.button(
        f"Clear the class ({len(rows)} runs)",
        disabled=not rows,
        key="class_clear",
        help="Deletes every run of the class for good. You confirm first.",
    ):
        st.session_state[CONFIRM] = ("clear", None)
    confirm(store, {r.id: r for r in rows}, labels)


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


def lock() -> None:
    for key in (UNLOCKED, HIDE, CONFIRM, KEPT):
        st.session_state.pop(key, None)


def confirm(store: RunStore, rows: dict[int, RunRow], labels: dict[int, str]) -> None:
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
            if not unlocked():  # the key was taken away meanwhile
                return
            if action == "delete":
                gone = store.delete(target)
                what = plain(labels.get(target, "the run"))
                st.session_state[DONE] = f"Deleted: {what}." if gone else "It was already gone."
            else:
                st.session_state[DONE] = f"The class is cleared: {store.clear()} runs deleted."
            st.rerun()
        answer.button(
            "Cancel", on_click=lambda: st.session_state.pop(CONFIRM, None), help="Keep it."
        )
