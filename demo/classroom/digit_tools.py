"""The teacher's tools for the class's own digits (behind the teacher key, on the Class page):
remove any digits, or all of them after a confirmation. Students remove their own on Draw."""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from demo.ui.text import plain
from lenet.store.runs import RunStore, StoreError

ASK_ALL = "teacher_digits_ask_all"  # "Remove all" was pressed: the confirmation shows
SAID = "teacher_digits_said"  # (what the last removal did, when)
SAID_S = 20.0  # how long it stays on the page


def digit_tools(store: RunStore, hide: bool, still_unlocked: Callable[[], bool]) -> None:
    st.markdown("**The class's digits**")
    said, at = st.session_state.get(SAID) or ("", 0.0)
    if said and time.monotonic() - at < SAID_S:  # through the page's 5 s refreshes
        (st.warning if said.startswith("!") else st.success)(plain(said.removeprefix("!")))
    try:
        rows = store.class_digits()
    except StoreError as error:
        st.error(plain(str(error)))
        return
    if not rows:
        st.caption("None yet: students add them on the Draw page.")
        return
    words = {r.id: f"#{r.id}: a {r.label}" + ("" if hide else f" by {r.name}") for r in rows}
    chosen = st.multiselect(
        "Digits to remove",
        list(words),
        format_func=words.get,
        key="teacher_digits",
        placeholder="Choose digits, newest first (hover a digit in the grid below to see it)",
        help="Remove a digit that is not a digit, or was labelled on purpose wrong.",
    )
    buttons = st.container(horizontal=True)
    buttons.button(
        f"Remove the chosen ({len(chosen)})",
        disabled=not chosen,
        key="teacher_digits_remove",
        on_click=remove,
        args=(store, list(chosen), still_unlocked),
        help="Removes them from the class's set for good.",
    )
    if buttons.button(
        f"Remove all {len(rows)} class digits",
        key="teacher_digits_all",
        help="Empties the class's set for good. You confirm first.",
    ):
        st.session_state[ASK_ALL] = True
    if st.session_state.get(ASK_ALL):
        with st.container(border=True):
            st.warning(f"Remove all {len(rows)} digits of the class for good?")
            answer = st.container(horizontal=True)
            answer.button(
                "Yes, remove them",
                type="primary",
                key="teacher_digits_yes",
                on_click=remove,
                args=(store, None, still_unlocked),
                help="This cannot be undone.",
            )
            answer.button(
                "Cancel",
                key="teacher_digits_no",
                on_click=lambda: st.session_state.pop(ASK_ALL, None),
                help="Keep them.",
            )


def remove(store: RunStore, ids: list[int] | None, still_unlocked: Callable[[], bool]) -> None:
    st.session_state.pop(ASK_ALL, None)
    if not still_unlocked():  # the key was taken away meanwhile
        return
    try:
        gone = store.remove_digits(ids)
    except StoreError as error:
        st.session_state[SAID] = (f"!Nothing was removed: {error}", time.monotonic())
        return
    st.session_state[SAID] = (
        f"Removed {gone} class digit{'s' if gone != 1 else ''}.",
        time.monotonic(),
    )
    st.session_state["teacher_digits"] = []
