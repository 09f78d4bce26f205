"""`JobSlots`' place when runs train on a Ray cluster (`demo.ray_jobs`): what the Train page
shows of the cluster and of a run's place in the class's line. Ray decides who trains."""

from __future__ import annotations

import os
import threading

from demo.ray_queue import watch

ENV_CPUS = "LENET_RAY_CPUS"  # CPUs (and torch threads) a run asks Ray for; 1 by default


def run_cpus() -> int:
    written = os.environ.get(ENV_CPUS, "").strip()
    number = int(written) if written.isascii() and written.isdigit() else 0
    return min(number, 64) if number >= 1 else 1


class RaySlots:
    """`JobSlots`' place for Ray runs: Ray decides who trains; this counts this server's runs,
    keeps the positions its waiting runs last heard from the class's line, and shows the cluster's
    CPUs as `demo.ray_queue.watch` last saw them."""

    def starting(self) -> bool:
        """Whether the cluster had a CPU free when last seen: a queued run is then being
        started (its worker loads PyTorch and MNIST), not waiting for others."""
        seen = watch.latest()
        return isinstance(seen, tuple) and seen[1] >= self.cpus

    full_line = "The Ray cluster's CPUs are all busy"

    def __init__(self, cpus: int | None = None) -> None:
        self.cpus = cpus or run_cpus()
        self._lock = threading.Lock()
        self._waiting: set[object] = set()
        self._running: set[object] = set()
        self._positions: dict[object, int] = {}
        self._in_line = 0
        self._cpus = 0.0  # the cluster's, as last seen

    def view(self) -> tuple[float, float]:
        """(the cluster's CPUs, those free), as last seen (0, 0: not known; never waits)."""
        seen = watch.latest()
        if isinstance(seen, tuple):
            self._cpus = seen[0]
            return seen[0], seen[1]
        return 0.0, 0.0

    @property
    def capacity(self) -> int:
        """Runs the cluster can train at once, as last seen."""
        return int(self._cpus // self.cpus)

    @property
    def cores(self) -> int:
        """The cluster's CPUs, as last seen (a job's snapshot reads it: never asks)."""
        return int(self._cpus)

    def busy_line(self) -> str:
        seen = watch.latest()
        if seen is None:
            return "asking the Ray cluster how busy it is..."
        if isinstance(seen, str):
            return "the Ray cluster does not answer"
        total, free, _ = seen
        return (
            f"{total - free:g} of {total:g} CPUs busy on the Ray cluster, "
            f"{self._in_line} run{'s' if self._in_line != 1 else ''} waiting (whole class)"
        )

    def waiting(self, job: object) -> None:
        with self._lock:
            self._waiting.add(job)

    def placed(self, job: object, place: int, in_line: int) -> None:
        with self._lock:
            self._positions[job], self._in_line = place, in_line

    def started(self, job: object) -> None:
        with self._lock:
            self._in_line = max(0, self._in_line - 1)
            self._waiting.discard(job)
            self._positions.pop(job, None)
            self._running.add(job)

    def release(self, job: object) -> None:
        with self._lock:
            self._waiting.discard(job)
            self._positions.pop(job, None)
            self._running.discard(job)

    def position(self, job: object) -> int | None:
        """Its place in the class's line (None until the line has answered)."""
        with self._lock:
            return self._positions.get(job) or None

    def rest(self, job: object, resting: bool) -> None:
        """A paused run keeps its actor, and so its CPU on the cluster (as a paused local run
        keeps its slot)."""

    def share(self, job: object) -> int:
        return self.cpus

    def counts(self) -> tuple[int, int]:
        """(running, waiting) on this app server."""
        with self._lock:
            return len(self._running), len(self._waiting)
