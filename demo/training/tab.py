"""Which browser tab a session is, so that a reload finds the tab's run and finished runs again.

A reload is a new Streamlit session with empty session state. The tab keeps a token in its
sessionStorage (per tab, survives a reload, never in the URL, unlike a cookie not shared between
tabs); a tiny component reads it and sends it back, and the session adopts what the server's
`TabRegistry` (`demo.training.sessions`) holds for it. The token is `secrets.token_urlsafe`, made
here. A duplicated tab copies sessionStorage: while the original is connected, the copy gets a token
of its own. The page that goes away marks the tab as left (`pagehide`), so the reload's session
takes the tab over even if the old session still looks connected for a moment. The tab also
keeps the student's nickname there: a server that restarted (and so knows no tab) takes it back.
"""

from __future__ import annotations

import re
import secrets
import time

import streamlit as st

from demo.session.nickname import GUEST
from demo.training.sessions import TabTaken
from demo.training.state import session_id, session_reaper
from lenet.store.runs import StoreError, check_name

RUN_KEYS = ("job", "job_values", "job_started", "runs", "saved", "nickname")  # a tab's runs
TOKEN_RULE = re.compile(r"[A-Za-z0-9_-]{32,64}")
REPORT_WAIT_S = 10.0  # a page says its tab within a second or two; then it counts as new

TAB_JS = """
const KEY = "lenet.tab", LEFT = "lenet.tab.left", NICK = "lenet.nickname";
export default function ({ data, setStateValue, parentElement }) {
  const slot = parentElement.closest?.('[data-testid="stElementContainer"]');
  if (slot) slot.style.display = "none";  // takes no room on the page
  let store = null;
  try { store = window.sessionStorage; store.getItem(KEY); } catch (e) { store = null; }
  let token = data.fresh, handover = false;
  if (store) {
    if (data.replace && store.getItem(KEY) === data.replace) store.setItem(KEY, data.fresh);
    token = store.getItem(KEY) || data.fresh;
    store.setItem(KEY, token);
    handover = store.getItem(LEFT) === "1";
    if (!window.__lenetTabWatch) {
      window.__lenetTabWatch = true;
      window.addEventListener("pagehide", () => store.setItem(LEFT, "1"));
      window.addEventListener("pageshow", (e) => e.persisted && store.removeItem(LEFT));
    }
  }
  const saved = store ? store.getItem(NICK) : null;  // the tab's, for a server that forgot
  if (token !== data.known) {
    if (store) store.removeItem(LEFT);
    setStateValue("tab", { token, handover, nickname: saved });
  }
  // a name the student chose is the tab's at once; a guest name only once the server knows the
  // tab (a session still asking has a fresh guest name that must not hide the tab's own)
  const chosen = data.nickname && !data.nickname.startsWith(data.guest);
  if (store && data.nickname && (chosen || token === data.known)) {
    store.setItem(NICK, data.nickname);
  }
}
"""


def run_state() -> dict:
    """This session's runs: the objects themselves, so later changes reach the registry."""
    st.session_state.setdefault("runs", [])
    st.session_state.setdefault("saved", {})
    return {key: st.session_state.get(key) for key in RUN_KEYS}


def adopt(state: dict) -> None:
    """Take the tab's runs over from the session its reload replaced."""
    st.session_state.update(state)
    job = state.get("job")
    if job is not None and job.snapshot().active:
        session_reaper().watch(session_id(), job)
    st.session_state["tab_adopted"] = True


def on_report() -> None:
    """The tab said its token (a callback: before the run that draws the page): take the tab's
    runs, or give a duplicated tab a token of its own."""
    st.session_state.pop("tab_waiting", None)  # this callback's rerun redraws the whole page
    report = (st.session_state.get("lenet_tab") or {}).get("tab") or {}
    token = report.get("token")
    if token == st.session_state.get("tab_token"):
        return
    if not isinstance(token, str) or not TOKEN_RULE.fullmatch(token):
        return  # not one of ours: this tab goes on without surviving a reload
    mine = run_state()
    try:
        state = session_reaper().claim_tab(
            token, session_id(), mine, handover=report.get("handover") is True
        )
    except TabTaken:
        st.session_state["tab_replace"] = token
        return
    st.session_state["tab_token"] = token
    # A run started before the tab was known stays; else a reload takes over the tab's runs.
    if state is not mine and st.session_state.get("job") is None:
        adopt(state)
    elif state is mine:  # a tab this server does not know: restarted since, perhaps
        restore_nickname(report.get("nickname"))


def restore_nickname(saved: object) -> None:
    """The nickname the tab kept in its own storage, for a session that has not chosen one:
    after a server restart the student's runs come back without retyping it."""
    if not isinstance(saved, str) or not (st.session_state.get("nickname") or GUEST).startswith(
        GUEST
    ):
        return
    try:
        st.session_state["nickname"] = check_name(saved)
    except StoreError:
        return
    st.session_state["nickname_restored"] = True


def identify() -> None:
    """Once a script run, on every page: ask the tab its token, keep the registry up to date."""
    fresh = st.session_state.setdefault("tab_fresh", secrets.token_urlsafe(32))
    st.session_state.setdefault("tab_asked_at", time.monotonic())
    component = st.components.v2.component("lenet.tab", js=TAB_JS, isolate_styles=False)
    component(
        key="lenet_tab",
        data={
            "fresh": fresh,
            "known": st.session_state.get("tab_token"),
            "replace": st.session_state.get("tab_replace"),
            "nickname": st.session_state.get("nickname"),
            "guest": GUEST,
        },
        on_tab_change=on_report,
    )
    token = st.session_state.get("tab_token")
    if token is not None:
        session_reaper().tabs.keep(token, session_id(), run_state())


def pending() -> bool:
    """Whether the page has yet to say which tab it is: a moment after a page opens (or is
    reloaded), when the page cannot tell whether the tab has a run going."""
    if "tab_token" in st.session_state or not st.context.headers:
        return False  # known, or no browser page to ask (AppTest)
    asked = st.session_state.setdefault("tab_asked_at", time.monotonic())
    return time.monotonic() - asked < REPORT_WAIT_S
