"""The teacher key (`LENET_TEACHER_KEY`) and what it unlocks on the Class page: hiding names for
everyone (a server-wide flag, until the server restarts), deleting a run and clearing the class,
each after a confirm step. Hiding needs no key in one view: the link's `hide=1` (a projector's
bookmark) hides names there.
The key is compared in constant time; after a few wrong keys from one address (counted for the
whole server: a reload or a new tab does not start afresh) each try waits longer."""

from __future__ import annotations

import threading
import time
from datetime import tzinfo

import streamlit as st

from demo.classroom import tools as teacher_tools
from demo.session.nickname import nickname
from demo.session.teacher_key import (  # noqa: F401  (ENV, FREE_TRIES, KeyGate, _gates: for tests)
    ENV,
    FREE_TRIES,
    KeyGate,
    _gates,
    address_gate,
    attempt,
    key_problem,
    tab_gate,
    teacher_key,
    wait_s,
)
from lenet.store.runs import RunStore

UNLOCKED, HIDE, NOTE = "class_unlocked", "class_hide_for_all", "class_note"
LINK_HIDE = "hide_names"  # session state: the link's hide=1 (demo/views/train/settings.py)
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
    (lock, address), tab = address_gate(), tab_gate()
    given, expected = st.session_state.get("class_key", ""), teacher_key()
    st.session_state["class_key"] = ""
    if not given.strip() or expected is None:
        return
    with lock:
        result = attempt(tab, address, given, expected, time.monotonic())
        wait = wait_s(tab, address, time.monotonic())
    st.session_state[UNLOCKED] = result == "open"
    st.session_state[NOTE] = {
        "open": None,
        "wrong": "That is not the teacher key.",
        "wait": f"Too many wrong keys. Try again in {wait} seconds.",
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
        if problem := key_problem():
            st.warning(problem[0].upper() + problem[1:] + ".", icon=":material/key_off:")
            return
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
        tools = st.fragment(run_every=REFRESH_S)(teacher_tools.run_tools)
        tools(store, zone, hidden_names(), nickname(), unlocked)
        st.button("Lock", on_click=lock, help="Lock the teacher tools in this tab again.")


def lock() -> None:
    for key in (UNLOCKED, HIDE, teacher_tools.CONFIRM, teacher_tools.KEPT):
        st.session_state.pop(key, None)
