"""A session's share of the server's expensive work (issue 28).

An embedding of a new model (t-SNE, ~2 CPU-seconds), a timeline GIF (~1 CPU-second a frame
set) or a filter's dream is computed once per model and kept for every session; but every
"At step" position is a new model, so one session clicking through them could take the cores a
class's drawings need. Each session may start at most PER_MINUTE such computations a minute
(`charge`, called where the work is done, only when it is not cached already); past that the
page says how long to wait, in one line. Work done outside a session (the server's warm-up) is
not counted.
"""

from __future__ import annotations

import time
from collections import deque

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

PER_MINUTE = 4
KEY = "costly_work_started"


class Busy(Exception):
    """This session has started its share of expensive work this minute; the message says
    when it may start more."""


def ledger() -> deque | None:
    """This session's starts of expensive work (None outside a session: the server's warm-up).
    Taken while the page is drawn, it can be charged later from another thread (a download's
    deferred data)."""
    if get_script_run_ctx() is None:
        return None
    return st.session_state.setdefault(KEY, deque())


def wait_s(times: deque | None = None, now: float | None = None) -> int:
    """Seconds before the session may start more expensive work (0: now)."""
    now = time.monotonic() if now is None else now
    times = ledger() if times is None else times
    if times is None:
        return 0
    while times and times[0] <= now - 60:
        times.popleft()
    return 0 if len(times) < PER_MINUTE else max(1, int(times[0] + 60 - now + 0.999))


def charge(what: str, times: deque | None = None) -> None:
    """Count one expensive computation for this session (or the `ledger` given); raises Busy
    when it has started PER_MINUTE of them in the last minute."""
    now, times = time.monotonic(), ledger() if times is None else times
    if times is None:
        return
    if wait := wait_s(times, now):
        raise Busy(busy_line(what, wait))
    times.append(now)


def busy_line(what: str, wait: int) -> str:
    return (
        f"You asked for {PER_MINUTE} new {what}s in a minute, the most one tab may: each takes "
        f"the server's time that your classmates need. Try again in {wait} s."
    )
