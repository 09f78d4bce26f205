"""Runs and browser sessions: a run outlives a reconnect, a short disconnect and a reload.

A network blip disconnects a session; Streamlit's frontend then reconnects to the same session
(the server keeps a disconnected one for `server.disconnectedSessionTTL`, 120 s by default). A
reload opens a new session: the tab's token (kept in the browser's sessionStorage,
`demo.training.tab`) finds the tab's runs in the `TabRegistry` and the new session adopts them. Only
a session gone for longer than the grace period loses its run (stopped) and its entry. Nothing here
calls Streamlit; `demo.training.state` passes in how to ask whether a session is connected.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from demo.training.jobs import TrainingJob

GRACE_S = 60.0  # how long a gone session keeps its run: a blip, a reload, a train tunnel
GRACE_ENV = "LENET_RECONNECT_GRACE_S"  # tests set it short
MAX_TABS = 1000

logger = logging.getLogger(__name__)


def grace_seconds() -> float:
    """The grace period: GRACE_S, or LENET_RECONNECT_GRACE_S when that is a number >= 0."""
    raw = os.environ.get(GRACE_ENV)
    if raw is None:
        return GRACE_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        logger.warning("%s=%r is not a number of seconds: using %g", GRACE_ENV, raw, GRACE_S)
        return GRACE_S
    return value


class TabTaken(Exception):
    """Another connected session holds this token: a duplicated tab, which needs its own."""


@dataclass
class Tab:
    holder: str  # the session id that holds the tab now
    state: dict  # that session's run state (the job, its settings, the finished runs)


class TabRegistry:
    """Tab token -> that tab's run state: thread-safe, bounded, least recently used first out."""

    def __init__(self, is_alive: Callable[[str], bool], max_tabs: int = MAX_TABS) -> None:
        self.is_alive, self.max_tabs = is_alive, max_tabs
        self._lock = threading.Lock()
        self._tabs: OrderedDict[str, Tab] = OrderedDict()

    def __len__(self) -> int:
        return len(self._tabs)

    def claim(self, token: str, session_id: str, state: dict, handover: bool = False) -> dict:
        """The state `session_id` should use for this tab: the tab's own when it has one (a
        reload adopts it), else `state`. `handover`: the browser says the tab's previous page
        is gone, even if its session still looks connected. Raises TabTaken for a token that
        another connected session holds (a duplicated tab copies sessionStorage)."""
        with self._lock:
            tab = self._tabs.get(token)
            if tab is None:
                self._put(token, Tab(session_id, state))
                return state
            if tab.holder != session_id:
                if not handover and self.is_alive(tab.holder):
                    raise TabTaken(token)
                tab.holder = session_id
            self._tabs.move_to_end(token)
            return tab.state

    def keep(self, token: str, session_id: str, state: dict) -> None:
        """Record the state of the session that holds the tab; a session that lost it (its tab
        was reloaded meanwhile) changes nothing."""
        with self._lock:
            tab = self._tabs.get(token)
            if tab is None:
                self._put(token, Tab(session_id, state))
            elif tab.holder == session_id:
                tab.state = state
                self._tabs.move_to_end(token)

    def holders(self) -> set[str]:
        with self._lock:
            return {tab.holder for tab in self._tabs.values()}

    def expire(self, gone: Callable[[str], bool]) -> int:
        """Forget the tabs whose holder is gone for good; how many were forgotten."""
        with self._lock:
            dropped = [token for token, tab in self._tabs.items() if gone(tab.holder)]
            for token in dropped:
                del self._tabs[token]
            return len(dropped)

    def _put(self, token: str, tab: Tab) -> None:
        self._tabs[token] = tab
        while len(self._tabs) > self.max_tabs:
            self._tabs.popitem(last=False)


class SessionReaper:
    """Stops the run of a session gone for longer than the grace period and forgets its tab.

    One thread polls every `interval_s`, living only while there is something to watch; a
    session that comes back within the grace period keeps everything.
    """

    def __init__(
        self,
        is_alive: Callable[[str], bool],
        interval_s: float = 1.0,
        grace_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.is_alive, self.interval_s, self.clock = is_alive, interval_s, clock
        self.grace_s = grace_seconds() if grace_s is None else grace_s
        self.tabs = TabRegistry(is_alive)
        self._lock = threading.Lock()
        self._owners: dict[int, tuple[TrainingJob, str]] = {}  # job id -> (job, session id)
        self._gone_since: dict[str, float] = {}
        self._thread: threading.Thread | None = None

    def watch(self, session_id: str, job: TrainingJob) -> None:
        """`session_id` owns the job now (a reload's new session takes over the old one's)."""
        with self._lock:
            self._owners[job.job_id] = (job, session_id)
        self._ensure_thread()

    def claim_tab(self, token: str, session_id: str, state: dict, handover: bool = False) -> dict:
        """`TabRegistry.claim`, with the tab watched from then on."""
        state = self.tabs.claim(token, session_id, state, handover)
        self._ensure_thread()
        return state

    def gone_for(self, session_id: str) -> float:
        """Seconds since the session was first seen disconnected; 0 while it is connected."""
        if self.is_alive(session_id):
            self._gone_since.pop(session_id, None)
            return 0.0
        now = self.clock()
        return now - self._gone_since.setdefault(session_id, now)

    def check(self) -> bool:
        """One look at every session: stop what the long gone owned. True while any is left."""
        with self._lock:
            expired = lambda session_id: self.gone_for(session_id) >= self.grace_s  # noqa: E731
            for job_id, (job, session_id) in list(self._owners.items()):
                if not job.snapshot().active:
                    del self._owners[job_id]
                elif expired(session_id):
                    job.stop()
                    del self._owners[job_id]
            self.tabs.expire(expired)
            watched = {owner for _, owner in self._owners.values()} | self.tabs.holders()
            for session_id in set(self._gone_since) - watched:
                del self._gone_since[session_id]
            if watched:
                return True
            self._thread = None
            return False

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="lenet-reaper", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            time.sleep(self.interval_s)
            if not self.check():
                return
