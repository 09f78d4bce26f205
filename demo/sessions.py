"""Runs and browser sessions: a session's run is stopped once that session has gone away.

Nothing here calls Streamlit; `demo.state` passes in how to ask whether a session is alive.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from demo.jobs import TrainingJob


class SessionReaper:
    """Stops the jobs of sessions that have gone away; its thread lives only while it watches."""

    def __init__(self, is_alive: Callable[[str], bool], interval_s: float = 1.0) -> None:
        self.is_alive, self.interval_s = is_alive, interval_s
        self._lock = threading.Lock()
        self._watched: dict[str, TrainingJob] = {}
        self._thread: threading.Thread | None = None

    def watch(self, session_id: str, job: TrainingJob) -> None:
        with self._lock:
            self._watched[session_id] = job
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="lenet-reaper", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            time.sleep(self.interval_s)
            with self._lock:
                for session_id, job in list(self._watched.items()):
                    if not job.snapshot().active:
                        del self._watched[session_id]
                    elif not self.is_alive(session_id):
                        job.stop()
                        del self._watched[session_id]
                if not self._watched:
                    self._thread = None
                    return
