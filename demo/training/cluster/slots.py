"""`JobSlots`' place when runs train on a Ray cluster (`demo.training.cluster.jobs`): what the Train
page shows of the cluster and of a run's place in the class's line. Ray decides who trains."""

from __future__ import annotations

import os
import threading

from demo.training.cluster.line import watch

ENV_CPUS = "LENET_RAY_CPUS"  # CPUs (and torch threads) a run asks Ray for; 1 by default


def run_cpus() -> int:
    written = os.environ.get(ENV_CPUS, "").strip()
    number = int(written) if written.isascii() and written.isdigit() else 0
    return min(number, 64) if number >= 1 else 1


class RaySlots:
    """`JobSlots`' place for Ray runs: Ray decides who trains; this keeps the positions this
    server's waiting runs last heard from the class's line, and shows the cluster's CPUs as
    `demo.training.cluster.line.watch` last saw them."""

    def starting(self) -> bool:
        """Whether the cluster had a CPU free when last seen: a queued run is then being
        started (its worker loads PyTorch and MNIST), not waiting for others."""
        seen = watch.latest()
        return isinstance(seen, tuple) and seen[1] >= self.cpus

    @property
    def full_line(self) -> str:
        """Why a run waits, as the cluster was last seen (never "busy" before it answered)."""
        seen = watch.latest()
        if seen is None:
            return "Asking the Ray cluster for a CPU"
        return "The Ray cluster's CPUs are all busy"

    def trouble(self) -> str | None:
        """Why no run can start now: the cluster does not answer (None: it does)."""
        seen = watch.latest()
        return f"The Ray cluster does not answer ({seen})" if isinstance(seen, str) else None

    def __init__(self, cpus: int | None = None) -> None:
        self.cpus = cpus or run_cpus()
        self._lock = threading.Lock()
        self._positions: dict[object, int] = {}
        self._in_line = 0  # runs in the class's line, as this server's runs last heard

    @property
    def cores(self) -> int:
        """What a run trains on (a job's snapshot reads it: never asks the cluster)."""
        return self.cpus

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

    def placed(self, job: object, place: int, in_line: int) -> None:
        with self._lock:
            self._positions[job], self._in_line = place, in_line

    def started(self, job: object) -> None:
        with self._lock:
            self._in_line = max(0, self._in_line - 1)
            self._positions.pop(job, None)

    def release(self, job: object) -> None:
        with self._lock:
            self._positions.pop(job, None)

    def position(self, job: object) -> int | None:
        """Its place in the class's line (None until the line has answered)."""
        with self._lock:
            return self._positions.get(job) or None

    def rest(self, job: object, resting: bool) -> None:
        """A paused run keeps its actor, and so its CPU on the cluster (as a paused local run
        keeps its slot)."""

    def may_resume(self, job: object) -> bool:
        """A paused Ray run kept its actor and its CPU: it may always resume."""
        return True

    def share(self, job: object) -> int:
        return self.cpus
