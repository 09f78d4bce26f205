"""Fair shares of the training for a class (issue 28): no student can hold it.

- At most `per_name` runs queued or training per nickname (look-alike nicknames are one,
  `lenet.store.lookalike`), and one per tab (its Start is off while it has one).
- A tab starts at most one run every `gap_s` seconds: Start/Stop spam cannot fill the queue.
- A paused run gives up its training slot (`demo.training.slots.JobSlots`), and a pause longer than
the
  pause limit ends the run, its weights kept (`demo.training.jobs.TrainingJob`).
- The teacher can stop any run in progress (the Class page), and deleting a run in progress
  stops it first.

The limits are the server's: `LENET_RUNS_PER_NICKNAME` (default 2), `LENET_START_GAP_S` (5),
`LENET_PAUSE_LIMIT_S` (300). `ClassRuns` is shared by every session (thread-safe) and calls no
Streamlit.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from lenet.store.lookalike import skeleton

RUNS_PER_NICKNAME, START_GAP_S, PAUSE_LIMIT_S = 2, 5.0, 300.0
MAX_TABS = 10_000  # tabs whose last start is remembered


def _number(name: str, default: float, least: float) -> float:
    """`$name` as a number >= `least`, else `default` (`demo.training.slots.environment_problems`
    says)."""
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if least <= value < float("inf") else default


def runs_per_nickname() -> int:
    return int(_number("LENET_RUNS_PER_NICKNAME", RUNS_PER_NICKNAME, 1))


def start_gap_s() -> float:
    return _number("LENET_START_GAP_S", START_GAP_S, 0)


def pause_limit_s() -> float:
    return _number("LENET_PAUSE_LIMIT_S", PAUSE_LIMIT_S, 1)


def problems() -> list[str]:
    """One line for the server's log per limit that is set but unusable (its default used)."""
    found = []
    for name, default, least in (
        ("LENET_RUNS_PER_NICKNAME", RUNS_PER_NICKNAME, 1),
        ("LENET_START_GAP_S", START_GAP_S, 0),
        ("LENET_PAUSE_LIMIT_S", PAUSE_LIMIT_S, 1),
    ):
        written = os.environ.get(name, "").strip()
        if written and _number(name, -1.0, least) == -1.0:
            found.append(f"{name}={written[:40]} is not a number >= {least:g}; using {default:g}")
    return found


def limits_line() -> str:
    """The limits, for the server's log at start-up and README."""
    return (
        f"Fair shares: at most {runs_per_nickname()} runs queued or training per nickname, one "
        f"start every {start_gap_s():g} s per tab; a run paused for {pause_limit_s():g} s is "
        "stopped, its weights kept."
    )


@dataclass
class Entry:
    job: object  # a demo.training.jobs.TrainingJob
    key: str  # its nickname's look-alike skeleton
    tab: str


class ClassRuns:
    """Every run in progress on the server, by nickname and tab; the limits on new ones."""

    def __init__(
        self,
        per_name: int | None = None,
        gap_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_name = per_name or runs_per_nickname()
        self.gap_s = start_gap_s() if gap_s is None else gap_s
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: list[Entry] = []
        self._started: OrderedDict[str, float] = OrderedDict()  # tab -> its last start

    def _active(self) -> list[Entry]:
        self._entries = [e for e in self._entries if e.job.snapshot().active]
        return self._entries

    def refusal(self, name: str, tab: str) -> str | None:
        """Why `name` in `tab` may not start a run now (one line), or None."""
        with self._lock:
            since = self.clock() - self._started.get(tab, float("-inf"))
            if since < self.gap_s:
                wait = max(1, round(self.gap_s - since))
                return f"One start every {self.gap_s:g} seconds: try again in {wait} s."
            key = skeleton(name)
            mine = [e for e in self._active() if e.key == key]
            if len(mine) >= self.per_name:
                return (
                    f"{name} already has {len(mine)} runs queued or training, the most this "
                    "server lets one nickname have: wait for one to end, or stop one."
                )
            return None

    def add(self, job: object, name: str, tab: str) -> None:
        with self._lock:
            self._entries.append(Entry(job, skeleton(name), tab))
            self._started[tab] = self.clock()
            self._started.move_to_end(tab)
            while len(self._started) > MAX_TABS:
                self._started.popitem(last=False)

    def in_progress(self) -> dict[int, object]:
        """Run id in the store -> its job, for the runs in progress that have a row."""
        with self._lock:
            return {
                e.job.recorder.run_id: e.job
                for e in self._active()
                if getattr(e.job, "recorder", None) is not None and e.job.recorder.run_id
            }

    def stop(self, run_id: int, note: str, forget: bool = False) -> bool:
        """Stop the run with row `run_id` if it is in progress here (True if it was); `note`
        tells its student why. `forget`: its row is gone, so its late writes are dropped."""
        job = self.in_progress().get(run_id)
        if job is None:
            return False
        if forget:
            job.recorder.forget()
        job.stop(note)
        return True
