"""Training jobs for the app: one worker process per run, a snapshot for the page to draw.

The worker process runs `lenet.train.Trainer` on its main thread and streams its events back;
a listener thread in the app files them under a lock, and the page polls `snapshot()` (a frozen
copy). A process rather than a thread: PyTorch's CPU kernels ran ~50% slower on a secondary
thread here (benchmarks/README.md), and the app's own Python work cannot slow training through
the GIL. Nothing here calls Streamlit, so it is tested as plain Python. `JobSlots` caps how many
jobs train at once in the whole server; the rest wait in order as `queued`. `SessionReaper`
stops the job of a browser session that has gone away.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import multiprocessing
import multiprocessing.context
import multiprocessing.spawn
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from lenet.data import MNIST, VAL_SIZE, load_mnist, load_raw_folder
from lenet.errors import LenetError
from lenet.model import LeNet5
from lenet.train import BatchEnd, Evaluation, Finished, Started, TrainConfig, Trainer

ACTIVE = ("queued", "starting", "running", "paused")
SEND_EVERY_S = 0.25  # how often a training process sends its batch events
_ids = itertools.count(1)


def default_capacity() -> int:
    """Concurrent training jobs: `$LENET_MAX_JOBS`, else one per two cores (at least 1)."""
    env = os.environ.get("LENET_MAX_JOBS", "")
    if env.isdigit() and int(env) >= 1:
        return int(env)
    return max(1, (os.cpu_count() or 1) // 2)


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


@dataclass(frozen=True)
class JobSnapshot:
    """A consistent copy of a job's state for the page: plain values and frozen events."""

    job_id: int
    status: str  # queued | starting | running | paused | stopped | done | diverged | failed
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


@dataclass(frozen=True)
class DataSource:
    """Where a worker process finds MNIST: the verified raw files, or a folder of IDX files
    (the test fixture, read without checksums)."""

    data_dir: str | None = None
    folder: str | None = None
    val_size: int = VAL_SIZE

    def load(self) -> MNIST:
        if self.folder:
            return load_raw_folder(self.folder, self.val_size)
        return load_mnist(self.data_dir, fetch=False, val_size=self.val_size)


@functools.cache
def _context() -> multiprocessing.context.BaseContext:
    """Workers fork from a clean single-threaded server process that has torch imported
    already: fast to start, and safe (forking the multi-threaded app itself is not)."""
    original = multiprocessing.spawn.get_preparation_data

    def without_main(name: str) -> dict:
        # multiprocessing re-runs the parent's __main__ in each child; under Streamlit that is
        # the app script itself. Our workers need nothing from it (their code is in demo.jobs).
        data = original(name)
        if name == "ignore" or name.startswith("lenet-"):
            for key in ("init_main_from_path", "init_main_from_name", "main_path"):
                data.pop(key, None)
        return data

    multiprocessing.spawn.get_preparation_data = without_main
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["demo.jobs"])
    return context


def _weights(model: LeNet5) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}


def worker_main(
    config: dict, source: DataSource, events, control, threads: int, publish_s: float
) -> None:
    """A training process: the trainer runs on this process's main thread, where PyTorch's
    OpenMP kernels are fastest; another thread takes pause/resume/stop from the app."""
    torch.set_num_threads(threads)
    try:
        trainer = Trainer(TrainConfig.from_dict(config), source.load())
    except LenetError as error:
        events.put(("end", ("failed", str(error))))
        return
    threading.Thread(target=_obey, args=(trainer, control), daemon=True).start()
    pending: list = []
    clock = {"sent": time.monotonic(), "weights": 0.0}

    def forward(event) -> None:
        # Batched: one message every ~0.25 s, not one per batch. Each message wakes threads on
        # both sides, and on 2 cores every wake-up stalls the trainer's OpenMP threads.
        pending.append(event)
        now = time.monotonic()
        if isinstance(event, BatchEnd) and now - clock["sent"] < SEND_EVERY_S:
            return
        events.put(("events", list(pending)))
        pending.clear()
        clock["sent"] = now
        if isinstance(event, Evaluation) or now - clock["weights"] >= publish_s:
            events.put(("weights", _weights(trainer.model)))
            clock["weights"] = now

    finished = trainer.run(forward)
    events.put(("weights", _weights(trainer.model)))
    events.put(("end", (finished.outcome, None)))


def _obey(trainer: Trainer, control) -> None:
    actions = {"pause": trainer.pause, "resume": trainer.resume, "stop": trainer.stop}
    try:
        while True:
            actions[control.recv()]()
    except (EOFError, OSError):  # the app closed its end: stop
        trainer.stop()


class TrainingJob:
    """One training run in its own process; pause/resume/stop are honoured within a batch.

    A listener thread in the app owns the process: it waits for a slot, starts the process and
    files its events. The page reads `snapshot()`; `model` is a copy of the live weights,
    refreshed every two seconds and at each evaluation.
    """

    def __init__(
        self,
        config: TrainConfig,
        source: DataSource,
        slots: JobSlots,
        threads: int = 0,
        publish_s: float = 2.0,
    ) -> None:
        self.job_id = next(_ids)
        self.config, self.source, self.slots = config, source, slots
        self.threads = threads or threads_per_job(slots.capacity)
        self.publish_s = publish_s
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._pause_wanted = False
        self._control = None
        self._model: LeNet5 | None = None
        self.model_version = 0  # bumps each time new weights arrive
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

    def _send(self, message: str) -> None:
        if self._control is not None:
            with contextlib.suppress(OSError):  # the process has ended already
                self._control.send(message)

    def pause(self) -> None:
        with self._lock:
            self._pause_wanted = True
            if self._status == "running":
                self._send("pause")
                self._status = "paused"

    def resume(self) -> None:
        with self._lock:
            self._pause_wanted = False
            if self._status == "paused":
                self._send("resume")
                self._status = "running"

    def stop(self) -> None:
        with self._lock:
            self._cancel.set()
            self._send("stop")

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the run to end; True when it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def model(self) -> LeNet5 | None:
        """The latest weights as a model in eval mode (None before the first batch)."""
        return self._model

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
        if not self.slots.acquire(self, self._cancel):
            self._end("stopped")
            return
        self._end("starting")  # has the slot; the process loads MNIST before its first batch
        try:
            self._run_process()
        except Exception as error:  # the page must learn why, never a silent death
            self._end("failed", f"training failed: {type(error).__name__}: {error}")
        finally:
            self.slots.release(self)

    def _run_process(self) -> None:
        context = _context()
        events = context.Queue()
        control, child_end = context.Pipe()
        process = context.Process(
            target=worker_main,
            name=f"lenet-train-{self.job_id}",
            daemon=True,
            args=(
                self.config.to_dict(),
                self.source,
                events,
                child_end,
                self.threads,
                self.publish_s,
            ),
        )
        process.start()
        child_end.close()
        with self._lock:
            self._control = control
            self._status = "paused" if self._pause_wanted else "running"
            for wanted, message in ((self._pause_wanted, "pause"), (self._cancel.is_set(), "stop")):
                if wanted:
                    self._send(message)
        try:
            self._listen(events, process)
        finally:
            with self._lock:
                self._control = None
            control.close()
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join()
            events.close()

    def _listen(self, events, process) -> None:
        while True:
            try:
                kind, payload = events.get(timeout=0.2)
            except queue.Empty:
                if not process.is_alive() and events.empty():
                    self._end(
                        "failed",
                        f"the training process ended unexpectedly (exit code {process.exitcode})",
                    )
                    return
                continue
            if kind == "events":
                for event in payload:
                    self._record(event)
            elif kind == "weights":
                self._model = self._rebuild(payload)
                self.model_version += 1
            elif kind == "end":
                self._end(*payload)
                return

    def _rebuild(self, weights: dict[str, np.ndarray]) -> LeNet5:
        model = LeNet5(self.config.model)
        model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
        return model.eval()

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
