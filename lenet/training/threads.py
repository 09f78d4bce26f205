"""Threads per training run and runs at once: one policy for the app's jobs and the CLI.

A run's OpenMP threads meet at a barrier after every kernel, and LeNet-5's kernels are short, so
a run with a thread on a core that something else is using waits for that thread at every
barrier. Measured on 2 cores (`benchmarks/busy_server.py`, figures in benchmarks/README.md):
beside one busy process a 2-thread run took 3.7x its solo time, one that dropped to 1 thread
1.8x (alone, 1 thread is 1.4-1.7x slower than 2: that is its fair share); two 1-thread runs at
once finished more runs per minute than 2-thread runs one after another (35 against 25). Hence:

- a run trains with as many threads as there are cores that *other* work leaves free (at least
  one, at most its share), re-checked every second between batches (`ThreadGovernor`): the
  machine's busy time on this process's cores (/proc/stat) less this process's own;
- a server trains one run per core at once, fewer when memory is short (`plan`); its runs share
  the cores (`shares`; a paused run uses none), and each one's governor gives up the cores that
  others are using, so a lone run takes every free core and two runs on two cores settle at one
  thread each.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# a training process's own memory, beyond the pages it shares with the worker server: 43-63 MB
# (unique set size) measured for the three presets; counted generously
RUN_MEMORY_MB = 150
MAX_THREADS_PER_CORE = 4
FIRST_CHECK_S = 0.1  # the first decision comes quickly: a run may start on a busy machine
CHECK_EVERY_S = 1.0
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Plan:
    threads: int  # torch threads for a run starting now
    runs_at_once: int  # training runs a server lets train together


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity, within a cgroup CPU quota if any."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    quota = _cgroup_quota()
    return max(1, min(cores, quota) if quota else cores)


def _cgroup_quota() -> int | None:
    """cgroup v2's `cpu.max` as whole cores (rounded up), or None when unlimited or unknown."""
    try:
        limit, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        return math.ceil(int(limit) / int(period)) if limit != "max" else None
    except (OSError, ValueError):
        return None


def available_memory_mb() -> float | None:
    """MemAvailable from /proc/meminfo, or None where it cannot be read."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def most_fixed_threads(cores: int | None = None) -> int:
    """The most threads a fixed count may ask for: 4 per core (more only adds waiting threads)."""
    return (cores or usable_cores()) * MAX_THREADS_PER_CORE


def threads_for(free: float, current: int | None = None, limit: int | None = None) -> int:
    """Threads for `free` cores: the nearest whole number, at least 1 and at most `limit`. From
    `current` threads it goes up only once 3/4 of a core more is free, so a neighbour at half a
    core does not flip it every second."""
    down = math.floor(free + 0.5)
    target = down
    if current is not None:
        up = math.floor(free + 0.25)
        target = up if up > current else min(current, down)
    return max(1, min(target, limit) if limit else target)


def plan(cores: int, others: float = 0.0, memory_mb: float | None = None) -> Plan:
    """Threads for a run and runs at once on `cores` cores with `others` cores' worth of other
    work, and `memory_mb` free for training processes (None: not limited)."""
    cores = max(1, cores)
    runs = cores if memory_mb is None else min(cores, int(memory_mb // RUN_MEMORY_MB))
    return Plan(threads_for(cores - max(0.0, others), limit=cores), max(1, runs))


def shares(cores: int, runs: int) -> list[int]:
    """Each of `runs` runs' share of `cores` threads: equal parts, the remainder one each to the
    first runs, at least 1 each."""
    base, extra = divmod(cores, max(1, runs))
    return [max(1, base + (k < extra)) for k in range(max(1, runs))]


class CpuSampler:
    """How many cores other processes kept busy since the last reading: the busy time of this
    process's cores in /proc/stat, less this process's own CPU time."""

    def __init__(self, stat: Path = Path("/proc/stat")) -> None:
        self.stat = stat
        try:
            self.cpus = {f"cpu{n}" for n in os.sched_getaffinity(0)}
        except (AttributeError, OSError):
            self.cpus = None
        self.counted = 0  # the CPUs whose time it adds up (a container's quota may be fewer)
        self._last = self._read()

    def _busy_s(self) -> float | None:
        """Busy seconds of this process's CPUs since boot; None where /proc/stat is missing or
        not as Linux writes it."""
        try:
            lines = self.stat.read_text().splitlines()
            ticks, counted = 0, 0
            for line in lines:
                name, *values = line.split() or [""]
                if self._mine(name):
                    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, values[:8])
                    ticks += user + nice + system + irq + softirq + steal
                    counted += 1
        except (OSError, ValueError):
            return None
        self.counted = counted
        return ticks / _CLOCK_TICKS if counted else None

    def _mine(self, name: str) -> bool:
        """A line of one of this process's CPUs ("cpu3"; "cpu" is the machine's total)."""
        return name.startswith("cpu") and name != "cpu" and (not self.cpus or name in self.cpus)

    def _read(self) -> tuple[float, float | None, float]:
        return time.monotonic(), self._busy_s(), time.process_time()

    def elapsed(self) -> float:
        return time.monotonic() - self._last[0]

    def others(self) -> float | None:
        """Cores' worth of other work since the last call (None where /proc/stat is missing)."""
        (wall0, busy0, own0), now = self._last, self._read()
        self._last = now
        wall, busy, own = now[0] - wall0, now[1], now[2]
        if busy is None or busy0 is None or wall <= 0:
            return None
        return max(0.0, (busy - busy0 - (own - own0)) / wall)


class ThreadGovernor:
    """Keeps this process's torch threads at the cores other work leaves free, at most its
    share; `tick` between batches (the trainer's thread), `share` from any thread."""

    def __init__(
        self,
        limit: int | None = None,
        sampler: CpuSampler | None = None,
        apply: Callable[[int], None] | None = None,
        cores: int | None = None,
        fixed: bool = False,
        on_change: Callable[[int], None] | None = None,
    ) -> None:
        self.fixed = fixed  # exactly `limit` threads throughout: shares and load are ignored
        self.on_change = on_change or (lambda threads: None)
        self.cores = cores or usable_cores()
        asked = limit or self.cores
        self._limit = min(asked, most_fixed_threads(self.cores) if fixed else self.cores)
        self._lock = threading.Lock()
        self.sampler = sampler or CpuSampler()
        self._apply = apply or _set_torch_threads
        self.threads = self._limit
        self._apply(self.threads)
        self.checks = 0
        self._began = time.monotonic()
        self.changes = [(0.0, self.threads)]  # (seconds since start, threads from then)

    def share(self, threads: int) -> None:
        """The most threads this run may use from now (the app's fair share of the cores)."""
        if self.fixed:
            return
        with self._lock:
            self._limit = max(1, min(threads, self.cores))

    def tick(self) -> int:
        """Re-decide once a check is due; returns the threads in use."""
        due = FIRST_CHECK_S if self.checks == 0 else CHECK_EVERY_S
        if self.fixed or self.sampler.elapsed() < due:
            return self.threads
        self.checks += 1
        others = self.sampler.others()
        # busy time is summed over the CPUs the process may run on; a CPU quota (a container's
        # --cpus) may allow fewer cores than that: free cores are the fewer of the two
        counted = getattr(self.sampler, "counted", 0) or self.cores
        free = min(self.cores, counted - (others or 0.0))
        with self._lock:
            target = threads_for(free, self.threads, self._limit)
        if target != self.threads:
            self._apply(target)
            self.threads = target
            self.changes.append((round(time.monotonic() - self._began, 2), target))
            self.on_change(target)
        return self.threads

    def watch(self, on_event: Callable[[object], None]) -> Callable[[object], None]:
        """`on_event`, with a `tick` after each event (the trainer emits one per batch); ticks
        once now, so a run set up for long enough starts with its first decision made."""
        self.tick()

        def forward(event: object) -> None:
            on_event(event)
            self.tick()

        return forward


def _set_torch_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
