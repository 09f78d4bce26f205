"""The server-wide cap on training: how many runs train at once, and the queue of the rest.

`JobSlots` is shared by every session of the server (first come, first served). How many runs
and how many threads each is `lenet.training.threads`' policy: one run per core (fewer when memory
is short), each run's share of the cores divided among the runs training now.
"""

from __future__ import annotations

import os
import re
import threading

from demo.ui.text import shorten
from lenet.training.threads import (
    available_memory_mb,
    most_fixed_threads,
    plan,
    shares,
    usable_cores,
)

SERVING_THREADS = 1  # the app's own torch threads (see demo.training.state.job_slots)


def default_capacity() -> int:
    """Concurrent training jobs: `$LENET_MAX_JOBS`, else `lenet.training.threads.plan`'s runs at
    once (one per core, fewer when memory is short)."""
    asked = _asked("LENET_MAX_JOBS")[1]
    return asked or plan(usable_cores(), memory_mb=available_memory_mb()).runs_at_once


def train_threads() -> int:
    """`$LENET_TRAIN_THREADS`: exactly that many torch threads per run (at most 4 per core);
    0 (unset, the default): each run's share of the cores, fewer while other work uses them."""
    return min(_asked("LENET_TRAIN_THREADS", least=0)[1] or 0, most_fixed_threads())


def environment_problems() -> list[str]:
    """One line for the server's log per `LENET_*` setting that is set but unusable."""
    problems, runs = [], default_capacity()
    for name, least, default in (
        ("LENET_MAX_JOBS", 1, f"{runs} (one run per core, fewer when memory is short)"),
        ("LENET_TRAIN_THREADS", 0, "each run's share of the free cores"),
    ):
        written, number = _asked(name, least)
        if written and number is None:
            problem = f"{name}={shorten(written)} is not a whole number >= 1; using {default}"
            problems.append(problem)
    from demo.session.teacher_key import key_problem
    from demo.training.cluster.connection import address_problem  # imports no Ray
    from demo.training.fair_share import problems as limit_problems

    problems += limit_problems()
    if problem := key_problem():
        problems.append(problem)

    if problem := address_problem():
        problems.append(f"{problem}: training runs will fail until it is set right")
    asked, threads = _asked("LENET_TRAIN_THREADS", least=0)[1], train_threads()
    if asked and asked > threads:
        problems.append(f"LENET_TRAIN_THREADS={asked} is more than 4 per core; using {threads}")
    return problems


def capacity_line() -> str:
    """What the server will do with training, for its log at start-up."""
    from demo.training.cluster.connection import ray_address

    if address := ray_address():
        return f"Training: every run on the Ray cluster at {address} (LENET_RAY_ADDRESS)."
    runs, threads = default_capacity(), train_threads()
    each = f"{threads} threads each" if threads else "each on its share of the free cores"
    return f"Training: up to {runs} runs at once on {usable_cores()} cores, {each}."


def max_jobs_problem() -> str | None:
    """The line about `$LENET_MAX_JOBS`, if it is set but unusable."""
    return next((p for p in environment_problems() if p.startswith("LENET_MAX_JOBS")), None)


def _asked(name: str, least: int = 1) -> tuple[str, int | None]:
    """The variable as written, and the number it asks for if it is a whole number >= `least`
    (LENET_TRAIN_THREADS=0 is its default written out)."""
    written = os.environ.get(name, "").strip()
    number = int(written) if re.fullmatch(r"[0-9]{1,9}", written) else -1
    return written, number if number >= least else None


class JobSlots:
    """A server-wide cap on running jobs, with a first-come queue for the rest."""

    def __init__(self, capacity: int, cores: int | None = None) -> None:
        self.capacity = capacity
        self.cores = cores or usable_cores()
        self._cond = threading.Condition()
        self._queue: list[object] = []
        self._running: dict[object, None] = {}  # in the order they got their slots
        self._resting: set[object] = set()  # running jobs that are paused: they use no cores

    def acquire(self, job: object, cancelled: threading.Event) -> bool:
        """Wait for a slot in turn; False (and out of the queue) if `cancelled` is set first."""
        with self._cond:
            self._queue.append(job)
            while not (self._queue[0] is job and self._busy() < self.capacity):
                if cancelled.is_set():
                    self._queue.remove(job)
                    self._cond.notify_all()
                    return False
                self._cond.wait(0.1)
            self._queue.pop(0)
            self._running[job] = None
            self._cond.notify_all()
            return True

    def _busy(self) -> int:
        """Slots taken: running jobs that are not paused (a paused one gives its slot up, and
        takes one more than the cap for a while if it resumes when all are taken)."""
        return len(self._running) - len(self._resting)

    def release(self, job: object) -> None:
        with self._cond:
            self._running.pop(job, None)
            self._resting.discard(job)
            self._cond.notify_all()

    def position(self, job: object) -> int | None:
        """1-based place in the queue, or None when not waiting."""
        with self._cond:
            return self._queue.index(job) + 1 if job in self._queue else None

    def rest(self, job: object, resting: bool) -> None:
        """A running job paused (True) or resumed (False): a paused job's slot and cores go to
        the others."""
        with self._cond:
            if job in self._running:
                (self._resting.add if resting else self._resting.discard)(job)
            self._cond.notify_all()

    def may_resume(self, job: object) -> bool:
        """A paused job asks to train again: True (and it takes a slot) when one is free or it
        is not resting; False while every slot is taken (it stays paused, its place kept for
        no one: the student presses Resume again)."""
        with self._cond:
            if job not in self._resting:
                return True
            if self._busy() >= self.capacity or self._queue:
                return False
            self._resting.discard(job)
            self._cond.notify_all()
            return True

    def share(self, job: object) -> int:
        """Threads `job` may use: the cores divided among the running jobs that are not paused
        (`job` counted in), the remainder one each to the earliest."""
        with self._cond:
            busy = [j for j in self._running if j is job or j not in self._resting]
            if job not in busy:  # not running yet: what it would get now
                busy.append(job)
            return shares(self.cores, len(busy))[busy.index(job)]

    full_line = "Every training slot on this server is busy"

    def trouble(self) -> str | None:
        """Why no run can start now, beyond busy slots (see RaySlots): never, here."""
        return None

    def starting(self) -> bool:
        """A queued local run waits for a slot; it is never 'starting' (see RaySlots)."""
        return False

    def busy_line(self) -> str:
        running, waiting = self.counts()
        return f"{running} of {self.capacity} training slots busy on this server, {waiting} waiting"

    def counts(self) -> tuple[int, int]:
        """(running and not paused, waiting)."""
        with self._cond:
            return self._busy(), len(self._queue)
