"""The student's nickname: whose runs they are in the run store and on the Class page.

No accounts: a session starts as a guest ("guest-k7q2mx"), and the student types their own name.
A reload keeps it (it travels with the tab's runs, `demo.training.tab`); after a server restart,
giving the same nickname again brings the runs back (`demo.views.train.runs`).
"""

from __future__ import annotations

import secrets

import streamlit as st

from demo.session.store_state import run_store
from demo.ui.text import plain
from lenet.store.runs import StoreError, check_name

GUEST = "guest-"


GUEST_CHARS = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def guest_name() -> str:
    """A guest nickname no other tab will draw (31^6: about 900 million)."""
    return GUEST + "".join(secrets.choice(GUEST_CHARS) for _ in range(6))


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
    if name.casefold() != nickname().casefold() and (found := others_runs(name)):
        them = "it is" if len(found) == 1 else "they are"
        runs = f"{len(found)} run{'s' * (len(found) != 1)}"
        other = next((r.name for r in found if r.name.casefold() != name.casefold()), None)
        who = f"**{plain(name)}**" + (f" looks like **{plain(other)}**, who" if other else "")
        st.session_state["nickname_note"] = (
            f"{who} already has {runs} on this server, shown in "
            f"*Your runs* below: if {them} not yours, choose another nickname."
        )
    st.session_state["nickname"] = st.session_state["nickname_input"] = name


def others_runs(name: str) -> list:
    """The runs of `name` (or of a name that looks like it, `lenet.store.lookalike`) in the run
    store that this tab did not train."""
    store = run_store()
    if store is None:
        return []
    mine = {r.get("run_id") for r in st.session_state.get("runs") or []}
    try:
        return [r for r in store.runs(name=name, limit=100) if r.id not in mine]
    except StoreError:
        return []


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
            f"Your runs are kept as **{plain(name)}** and shown so on the **Class** page: type "
            "your own nickname to find them again after a reload or on another day."
        )
    else:
        note.caption(f"Your runs are kept as **{plain(name)}** and shown so on the **Class** page.")
    if error := st.session_state.pop("nickname_error", None):
        st.error(error)
    if note := st.session_state.pop("nickname_note", None):
        st.info(note, icon=":material/group:")
    if st.session_state.pop("nickname_restored", False):
        st.info(
            f"Welcome back, **{plain(name)}**. This tab kept your nickname, so your runs are in "
            "*Your runs* below. A run that was training when the server restarted shows as "
            "stopped by the restart.",
            icon=":material/restart_alt:",
        )
    return name
