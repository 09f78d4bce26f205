"""Training jobs for the app: one worker thread per run, a snapshot for the page to draw.

The worker runs `lenet.train.Trainer` and appends its events to the job's history under a lock;
the page polls `snapshot()` (a frozen copy) from its own thread. Nothing here calls Streamlit, so
it is tested as plain Python. `JobSlots` caps how many jobs train at once in the whole server;
the rest wait in order as `queued`. `SessionReaper` stops the job of a browser session that has
gone away.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from lenet.data import MNIST
from lenet.errors import LenetError
from lenet.model import LeNet5
from lenet.train import BatchEnd, Evaluation, Finished, Started, TrainConfig, Trainer

ACTIVE = ("queued", "running", "paused")
_ids = itertools.count(1)


def default_capacity() -> int:
    """Concurrent training jobs: `$LENET_MAX_JOBS`, else one per two cores (at least 1)."""
    env = os.environ.get("LENET_MAX_JOBS", "")
    if env.isdigit() and int(env) >= 1:
        return int(env)
    return max(1, (os.cpu_count() or 1) // 2)


def configure_threads(capacity: int) -> int:
    """Size torch's process-wide thread pool so `capacity` jobs share the cores; returns it."""
    threads = max(1, (os.cpu_count() or 1) // capacity)
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


@dataclass(frozen=True)
class JobSnapshot:
    """A consistent copy of a job's state for the page: plain values and frozen events."""

    job_id: int
    status: str  # queued | running | paused | stopped | done | diverged | failed
    queue_position: int | None
    config: TrainConfig
    started: Started | None
    batches: tuple[BatchEnd, ...]
    evaluations: tuple[Evaluation, ...]
    finished: Finished | None
    error: str | None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def progress(self) -> float:
        if self.started is None or not self.batches:
            return 0.0
        return self.batches[-1].step / self.started.total_steps

    @property
    def seconds_left(self) -> float | None:
        """Remaining training time at the current speed (evaluations not counted)."""
        if self.started is None or not self.batches or self.batches[-1].samples_per_s <= 0:
            return None
        last = self.batches[-1]
        steps_left = self.started.total_steps - last.step
        batch = min(self.config.batch_size, self.started.train_size)
        return steps_left * batch / last.samples_per_s


class TrainingJob:
    """One training run in its own thread; pause/resume/stop are requests honoured per batch."""

    def __init__(self, config: TrainConfig, data: MNIST, slots: JobSlots) -> None:
        self.job_id = next(_ids)
        self.config, self.data, self.slots = config, data, slots
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pause_wanted = False
        self._trainer: Trainer | None = None
        self._status = "queued"
        self._started: Started | None = None
        self._batches: list[BatchEnd] = []
        self._evaluations: list[Evaluation] = []
        self._finished: Finished | None = None
        self._error: str | None = None
        self._thread = threading.Thread(
            target=self._work, name=f"lenet-job-{self.job_id}", daemon=True
        )

    def start(self) -> TrainingJob:
        self._thread.start()
        return self

    def pause(self) -> None:
        with self._lock:
            self._pause_wanted = True
            if self._trainer is not None and self._status == "running":
                self._trainer.pause()
                self._status = "paused"

    def resume(self) -> None:
        with self._lock:
            self._pause_wanted = False
            if self._trainer is not None and self._status == "paused":
                self._trainer.resume()
                self._status = "running"

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            if self._trainer is not None:
                self._trainer.stop()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker to end; True when it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def model(self) -> LeNet5 | None:
        """The live model (its latest weights), once training has begun."""
        trainer = self._trainer
        return trainer.model if trainer is not None else None

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            position = self.slots.position(self) if self._status == "queued" else None
            return JobSnapshot(
                self.job_id,
                self._status,
                position,
                self.config,
                self._started,
                tuple(self._batches),
                tuple(self._evaluations),
                self._finished,
                self._error,
            )

    def _work(self) -> None:
        if not self.slots.acquire(self, self._stop):
            self._end("stopped")
            return
        try:
            trainer = Trainer(self.config, self.data)
            with self._lock:
                self._trainer = trainer
                if self._stop.is_set():
                    trainer.stop()
                self._status = "paused" if self._pause_wanted else "running"
                if self._pause_wanted:
                    trainer.pause()
            finished = trainer.run(self._record)
            self._end(finished.outcome)
        except LenetError as error:
            self._end("failed", str(error))
        except Exception as error:  # a worker must never die silently: the page shows why
            self._end("failed", f"training failed: {type(error).__name__}: {error}")
        finally:
            self.slots.release(self)

    def _record(self, event) -> None:
        with self._lock:
            if isinstance(event, BatchEnd):
                self._batches.append(event)
            elif isinstance(event, Evaluation):
                self._evaluations.append(event)
            elif isinstance(event, Started):
                self._started = event
            elif isinstance(event, Finished):
                self._finished = event

    def _end(self, status: str, error: str | None = None) -> None:
        with self._lock:
            self._status, self._error = status, error


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
