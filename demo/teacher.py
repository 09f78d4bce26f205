"""The teacher key (`LENET_TEACHER_KEY`) and what it unlocks on the Class page: hiding names for
everyone (a server-wide flag, until the server restarts), deleting a run and clearing the class,
each after a confirm step. Hiding needs no key in one view: the link's `hide=1` (a projector's
bookmark) hides names there.
The key is compared in constant time; after a few wrong keys from one address (counted for the
whole server: a reload or a new tab does not start afresh) each try waits longer."""

from __future__ import annotations

import threading
import time

import streamlit as st

from demo import class_data
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
from lenet.store import RunRow, RunStore, StoreError

UNLOCKED, HIDE, CONFIRM, NOTE, DONE = (
    "class_unlocked", "class_hide_for_all", "class_confirm", "class_note", "class_done"
)  # fmt: skip
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
        "wait": f"Too many wrong keys: try again in {gate.wait_s(time.monotonic())} s.",
    }[result]


def teacher_section(store: RunStore) -> None:
    """The key, or (unlocked) the teacher's tools; where to set the key when the server has none."""
    with st.expander("Teacher", icon=":material/key:", expanded=False):
        st.caption(
            "For a projector, open this page as **/class?hide=1**: names become Student 1, "
            "2, ... in that view, with no key, and stay hidden after a reload."
        )
        if teacher_key() is None:
            st.markdown(
                "Hiding names for everyone, deleting a run and clearing the class need a teacher "
                f"key: start the app with one, e.g. `{ENV}=choose-a-secret make demo`, and enter "
                "it here."
            )
            return
        if not unlocked():
            st.text_input(
                "Teacher key",
                type="password",
                key="class_key",
                on_change=check_key,
                help=f"The {ENV} the server was started with. It unlocks hiding names for "
                "everyone, deleting a run and clearing the class, in this tab only.",
            )
            if note := st.session_state.get(NOTE):
                st.error(note)
            return
        st.session_state[HIDE] = names_hidden_for_all()  # another teacher tab may have changed it
        st.toggle(
            "Hide names for everyone",
            key=HIDE,
            on_change=_toggle_hidden_for_all,
            help="Nicknames become Student 1, 2, ... on every Class page of this server (the "
            "students' too), in the table, the charts and the CSV, until you turn it off or the "
            "server restarts; the same student keeps the same number.",
        )
        st.fragment(run_every=REFRESH_S)(delete_tools)(store)
        st.button("Lock", on_click=lock, help="Lock the teacher tools in this tab again.")


def delete_tools(store: RunStore) -> None:
    """Delete a run or clear the class, each confirmed first; the runs offered follow the store."""
    try:
        rows = class_data.ranked(class_runs(store)[1])
    except StoreError as error:
        st.error(str(error))
        return
    if done := st.session_state.pop(DONE, None):
        st.success(done)
    names = class_data.shown_names(rows, hidden_names())
    labels = {r.id: _label(r, names[r.id]) for r in rows}
    choice = st.selectbox(
        "Run to delete",
        list(labels),
        index=None,
        format_func=lambda run_id: labels.get(run_id, f"#{run_id}"),
        key="class_delete_choice",
        placeholder="Choose a run by its id (the table's Run column)",
        help="The run, its curves and its weights are deleted for good, after you confirm.",
    )
    buttons = st.container(horizontal=True)
    if buttons.button(
        "Delete this run",
        disabled=choice is None,
        key="class_delete",
        help="Asks you to confirm first.",
    ):
        st.session_state[CONFIRM] = ("delete", choice)
    if buttons.button(
        f"Clear the class ({len(rows)} runs)",
        disabled=not rows,
        key="class_clear",
        help="Delete every run of the class, for good (asks you to confirm first).",
    ):
        st.session_state[CONFIRM] = ("clear", None)
    confirm(store, {r.id: r for r in rows}, names)


def _label(row: RunRow, name: str) -> str:
    """A run as the delete list shows it: only what never changes (no status, no accuracy), so
    the choice survives the run finishing."""
    return f"#{row.id} · {name} · {class_data.short_settings(row.settings)}"


def _outcome(row: RunRow) -> str:
    if row.test_accuracy is not None:
        return f"{100 * row.test_accuracy:.2f}% ({row.status})"
    return row.status


def lock() -> None:
    for key in (UNLOCKED, HIDE, CONFIRM):
        st.session_state.pop(key, None)


def confirm(store: RunStore, rows: dict[int, RunRow], names: dict[int, str]) -> None:
    """The confirm step of a delete or a clear asked for; then it happens, or not."""
    if (asked := st.session_state.get(CONFIRM)) is None:
        return
    action, target = asked
    with st.container(border=True):
        if action == "delete" and (row := rows.get(target)) is not None:
            st.warning(
                f"Delete run #{row.id} by {plain(names[row.id])} ({_outcome(row)}, "
                f"{plain(class_data.short_settings(row.settings))}) for good, with its curves "
                "and weights?"
            )
        elif action == "delete":
            st.info(f"Run #{target} is already gone.")
        else:
            st.warning(f"Delete all {len(rows)} runs of the class for good?")
        answer = st.container(horizontal=True)
        if answer.button("Yes, delete", type="primary", help="This cannot be undone."):
            st.session_state.pop(CONFIRM)
            if not unlocked():  # the key was taken away meanwhile
                return
            if action == "delete":
                gone = store.delete(target)
                st.session_state[DONE] = f"Run #{target} deleted." if gone else "Already gone."
            else:
                st.session_state[DONE] = f"The class is cleared: {store.clear()} runs deleted."
            st.rerun()
        answer.button(
            "Cancel", on_click=lambda: st.session_state.pop(CONFIRM, None), help="Keep it."
        )
