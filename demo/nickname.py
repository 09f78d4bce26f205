"""The student's nickname: whose runs they are in the run store and on the Class page.

No accounts: a session starts as a guest ("guest-4821"), and the student types their own name.
A reload keeps it (it travels with the tab's runs, `demo.tab`); after a server restart, giving
the same nickname again brings the runs back (`demo.views.train_runs`).
"""

from __future__ import annotations

import secrets

import streamlit as st

from lenet.store import StoreError, check_name

GUEST = "guest-"


def guest_name() -> str:
    return f"{GUEST}{1000 + secrets.randbelow(9000)}"


def nickname() -> str:
    """The session's nickname (a guest name until the student gives theirs)."""
    if not st.session_state.get("nickname"):
        st.session_state["nickname"] = guest_name()
    return st.session_state["nickname"]


def on_change() -> None:
    try:
        name = check_name(st.session_state.get("nickname_input", ""))
    except StoreError as error:
        st.session_state["nickname_error"] = str(error)
        st.session_state["nickname_input"] = nickname()  # the field shows the name in use
        return
    st.session_state["nickname"] = st.session_state["nickname_input"] = name


def nickname_ui(disabled: bool) -> str:
    """The nickname field (kept equal to the session's nickname); the nickname in use."""
    name = nickname()
    if st.session_state.get("nickname_shown") != name:  # a reload adopted the tab's name
        st.session_state["nickname_input"] = name
        st.session_state["nickname_shown"] = name
    elif "nickname_input" not in st.session_state:  # another page was drawn meanwhile
        st.session_state["nickname_input"] = name
    field, note = st.columns([1, 2], vertical_alignment="bottom")
    field.text_input(
        "Your nickname",
        key="nickname_input",
        max_chars=24,
        on_change=on_change,
        disabled=disabled,
        help="Your runs are kept under this name and shown with it on the Class page. Give "
        "the same nickname after a reload, a restart or on another computer to get your runs "
        "back. Letters, digits, spaces, '.', \"'\", '-' or '_'.",
    )
    name = nickname()
    if name.startswith(GUEST):
        note.caption(
            f"Your runs are kept as **{name}** and shown so on the **Class** page: type your "
            "own nickname to find them again after a reload or on another day."
        )
    else:
        note.caption(f"Your runs are kept as **{name}** and shown so on the **Class** page.")
    if error := st.session_state.pop("nickname_error", None):
        st.error(error)
    return name
