"""The teacher key (`LENET_TEACHER_KEY`) and what it unlocks on the Class page, in this tab only:
hiding names for projection, deleting a run and clearing the class, each after a confirm step.
The key is compared in constant time; after a few wrong keys each try waits longer."""

from __future__ import annotations

import hmac
import os
import time
from dataclasses import dataclass

import streamlit as st

from demo import class_data
from lenet.store import RunStore, StoreError

ENV = "LENET_TEACHER_KEY"
FREE_TRIES = 5  # wrong keys before each further try has to wait
WAIT_S = 30.0  # the first wait; it doubles with each further wrong key
LONGEST_WAIT_S = 900.0
UNLOCKED, HIDE, CONFIRM, GATE, NOTE, DONE = (
    "class_unlocked", "class_hide_names", "class_confirm", "class_gate", "class_note", "class_done"
)  # fmt: skip


def teacher_key() -> str | None:
    """The key the server was started with; None when it was started without one."""
    key = os.environ.get(ENV, "").strip()
    return key or None


def key_matches(given: str, expected: str) -> bool:
    """Whether `given` is the key, in a time that does not tell how much of it was right."""
    return hmac.compare_digest(given.strip().encode(), expected.encode())


@dataclass
class KeyGate:
    """One session's tries at the key: after FREE_TRIES wrong ones, a growing wait."""

    failures: int = 0
    blocked_until: float = 0.0

    def attempt(self, given: str, expected: str, now: float) -> str:
        """'open' (the key), 'wrong', or 'wait' (too many wrong keys: not even compared)."""
        if now < self.blocked_until:
            return "wait"
        if key_matches(given, expected):
            self.failures = 0
            return "open"
        self.failures += 1
        if self.failures >= FREE_TRIES:
            wait = WAIT_S * 2 ** (self.failures - FREE_TRIES)
            self.blocked_until = now + min(wait, LONGEST_WAIT_S)
        return "wrong"

    def wait_s(self, now: float) -> int:
        """Whole seconds left before the next try is compared."""
        return max(0, int(self.blocked_until - now + 0.999))


def unlocked() -> bool:
    """Whether this tab gave the key (and the server still has one)."""
    return bool(st.session_state.get(UNLOCKED)) and teacher_key() is not None


def hidden_names() -> bool:
    return unlocked() and bool(st.session_state.get(HIDE, False))


def check_key() -> None:
    """The key input's callback: unlock, or count a wrong key (see KeyGate)."""
    gate: KeyGate = st.session_state.setdefault(GATE, KeyGate())
    given, expected = st.session_state.get("class_key", ""), teacher_key()
    st.session_state["class_key"] = ""
    if not given.strip() or expected is None:
        return
    result = gate.attempt(given, expected, time.monotonic())
    st.session_state[UNLOCKED] = result == "open"
    st.session_state[NOTE] = {
        "open": None,
        "wrong": "That is not the teacher key.",
        "wait": f"Too many wrong keys: try again in {gate.wait_s(time.monotonic())} s.",
    }[result]


def teacher_section(store: RunStore) -> None:
    """The key, or (unlocked) the teacher's tools; where to set the key when the server has none."""
    with st.expander("Teacher", icon=":material/key:", expanded=unlocked()):
        if teacher_key() is None:
            st.markdown(
                "Hiding names, deleting a run and clearing the class need a teacher key: start "
                f"the app with one, e.g. `{ENV}=choose-a-secret make demo`, and enter it here."
            )
            return
        if not unlocked():
            st.text_input(
                "Teacher key",
                type="password",
                key="class_key",
                on_change=check_key,
                help=f"The {ENV} the server was started with. It unlocks hiding names, "
                "deleting a run and clearing the class, in this tab only.",
            )
            if note := st.session_state.get(NOTE):
                st.error(note)
            return
        try:
            tools(store)
        except StoreError as error:
            st.error(str(error))


def tools(store: RunStore) -> None:
    """Hide names; delete a run or clear the class, each confirmed before it happens."""
    st.toggle(
        "Hide names (for projection)",
        key=HIDE,
        help="Nicknames become Student 1, 2, ... in the table, the charts and the CSV of this "
        "tab; the same student keeps the same number.",
    )
    if done := st.session_state.pop(DONE, None):
        st.success(done)
    rows = class_data.ranked(store.runs())
    names = class_data.shown_names(rows, hidden_names())
    labels = {r.id: _label(r, names[r.id]) for r in rows}
    choice = st.selectbox(
        "Run to delete",
        list(labels),
        index=None,
        format_func=labels.__getitem__,
        key="class_delete_choice",
        placeholder="Choose a run by its id (the table's Run column)",
        help="The run, its curves and its weights are deleted for good, after you confirm.",
    )
    buttons = st.container(horizontal=True)
    if buttons.button(
        "Delete this run", disabled=choice is None, help="Asks you to confirm first."
    ):
        st.session_state[CONFIRM] = ("delete", choice, labels[choice])
    if buttons.button(
        f"Clear the class ({len(rows)} runs)",
        disabled=not rows,
        help="Delete every run of the class, for good (asks you to confirm first).",
    ):
        st.session_state[CONFIRM] = ("clear", len(rows), "")
    buttons.button(
        "Lock", on_click=lock, help="Lock the teacher tools in this tab again (names shown)."
    )
    confirm(store)


def _label(row, name: str) -> str:
    accuracy = f"{100 * row.test_accuracy:.2f}%" if row.test_accuracy is not None else row.status
    return f"#{row.id} · {name} · {accuracy} · {class_data.short_settings(row.settings)}"


def lock() -> None:
    for key in (UNLOCKED, HIDE, CONFIRM):
        st.session_state.pop(key, None)


def confirm(store: RunStore) -> None:
    """The confirm step of a delete or a clear asked for; then it happens, or not."""
    if (asked := st.session_state.get(CONFIRM)) is None:
        return
    action, target, label = asked
    with st.container(border=True):
        if action == "delete":
            st.warning(f"Delete run {label} for good, with its curves and weights?")
        else:
            st.warning(f"Delete all {target} runs of the class for good?")
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
