"""The server-wide cap on training: how many runs train at once, and the queue of the rest.

`JobSlots` is shared by every session of the server (first come, first served); the thread
helpers size each run's torch threads so that the capped number of runs fills the cores.
"""

from __future__ import annotations

import os
import re
import threading

import torch

from demo.text import shorten


def default_capacity() -> int:
    """Concurrent training jobs: `$LENET_MAX_JOBS`, else one per two cores (at least 1)."""
    return _asked_jobs()[1] or max(1, (os.cpu_count() or 1) // 2)


def max_jobs_problem() -> str | None:
    """One line for the server's log when `$LENET_MAX_JOBS` is set but unusable, else None."""
    written, jobs = _asked_jobs()
    if not written or jobs:
        return None
    return (
        f"LENET_MAX_JOBS={shorten(written)} is not a whole number >= 1; "
        f"using {default_capacity()} (one run per two cores)"
    )


def _asked_jobs() -> tuple[str, int | None]:
    """`$LENET_MAX_JOBS` as written, and the number it asks for if it is a whole number >= 1."""
    written = os.environ.get("LENET_MAX_JOBS", "").strip()
    jobs = int(written) if re.fullmatch(r"[0-9]{1,9}", written) else 0
    return written, jobs if jobs >= 1 else None


def threads_per_job(capacity: int) -> int:
    """Threads for each of `capacity` concurrent jobs, so together they fill the cores."""
    return max(1, (os.cpu_count() or 1) // capacity)


def configure_threads(capacity: int) -> int:
    """Size this process's torch thread pool like one job's; returns it."""
    threads = threads_per_job(capacity)
    torch.set_num_threads(threads)
    return threads


class JobSlots:
    """A server-wide cap on running jobs, with a first-come queue for the rest."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._cond = threading.Condition()
        self._queue: list[object] = []
        self._running: set[object] = set()

    def acquire(self, job: object, cancelled: threading.Event) -> bool:
        """Wait for a slot in turn; False (and out of the queue) if `cancelled` is set first."""
        with self._cond:
            self._queue.append(job)
            while not (self._queue[0] is job and len(self._running) < self.capacity):
                if cancelled.is_set():
                    self._queue.remove(job)
                    self._cond.notify_all()
                    return False
                self._cond.wait(0.1)
            self._queue.pop(0)
            self._running.add(job)
            self._cond.notify_all()
            return True

    def release(self, job: object) -> None:
        with self._cond:
            self._running.discard(job)
            self._cond.notify_all()

    def position(self, job: object) -> int | None:
        """1-based place in the queue, or None when not waiting."""
        with self._cond:
            return self._queue.index(job) + 1 if job in self._queue else None

    def counts(self) -> tuple[int, int]:
        """(running, waiting)."""
        with self._cond:
            return len(self._running), len(self._queue)
