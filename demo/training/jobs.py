"""Training jobs for the app: one worker process per run, a snapshot for the page to draw.

A `TrainingJob` waits for a slot in the server-wide queue (`demo.training.slots`), then runs the
trainer in a process of its own (`demo.training.worker`, started and listened to by
`demo.training.job_process`); a listener thread in the app files the process's events under a lock,
and the page polls `snapshot()` (a frozen copy of the job's state) and `timeline()` (the weights
kept at the timeline's steps). A run with a `RunRecorder` is also kept in the run store as it goes
(`lenet.store`). Nothing here calls Streamlit, so it is tested as plain Python.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import threading

import numpy as np

from demo.training.fair_share import pause_limit_s
from demo.training.job_process import ProcessRun
from demo.training.slots import JobSlots
from demo.training.snapshot import ACTIVE, JobSnapshot
from demo.training.worker import DataSource
from lenet.config import TrainConfig
from lenet.model import LeNet5
from lenet.store.recorder import RunRecorder
from lenet.timeline.snapshots import Snapshot, Timeline, flat_weights, sound
from lenet.training.trainer import BatchEnd, Evaluation, Finished, Started

__all__ = ["ACTIVE", "DataSource", "JobSnapshot", "TrainingJob"]

_ids = itertools.count(1)


class TrainingJob(ProcessRun):
    """One training run in its own process; pause/resume/stop are honoured within a batch.

    A pause is "pausing" until the process acknowledges it, as the last message before it
    blocks: a "paused" snapshot's batches are final until `resume`.

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
        recorder: RunRecorder | None = None,
        snapshots: bool = True,
        pause_limit: float | None = None,
        class_digits: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        """`threads`: exactly that many torch threads; 0 (the app's way): the run's share of
        the cores, fewer while other work is using them (`lenet.training.threads`). `recorder`: the
        run's row in the run store, kept up to date from here (None: not stored). `snapshots`: keep
        the run's timeline (off only to measure what keeping it costs). `pause_limit`: seconds a
        pause may last before the run is stopped (None:
        `demo.training.fair_share.pause_limit_s`). `class_digits`: the class's digits to learn
        from beside MNIST (`demo.training.worker.train_run`)."""
        self.recorder, self.class_digits = recorder, class_digits
        self.job_id = next(_ids)
        self.config, self.source, self.slots = config, source, slots
        self.threads, self.adapt = threads or slots.share(self), not threads
        self._shared = self.threads
        self._threads_now = 0  # the torch threads the process trains with now (0: not started)
        self.publish_s, self.keep_snapshots = publish_s, snapshots
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._pause_wanted = False
        self._pauses = 0  # pause requests sent; the process acknowledges each by its number
        self._control = None
        self._model: LeNet5 | None = None
        self.model_version = 0  # bumps each time new weights arrive
        self._status = "queued"
        self._started: Started | None = None
        self._batches: list[BatchEnd] = []
        self._evaluations: list[Evaluation] = []
        self._finished: Finished | None = None
        # the run's timeline (lenet.timeline): while it trains, the weights as they arrive
        # (every 2 s and at each evaluation); once it is over, the scheduled snapshots
        self._snapshots: list[Snapshot] = []
        self._final = False
        self._error: str | None = None
        self._note: str | None = None  # why it was stopped, when not by its student
        self.pause_limit = pause_limit_s() if pause_limit is None else pause_limit
        self.event_lags = collections.deque(maxlen=256)
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

    def _ask_pause(self) -> None:
        self._pauses += 1
        self._send("pause")
        self._status = "pausing"

    def _went_live(self, control) -> None:
        """The run's process (or actor) is up and takes controls from `control` on: a pause or
        stop asked while it started is passed on now."""
        with self._lock:
            self._control = control
            self._status = "running"
            self._threads_now = self.threads
            if self._pause_wanted:
                self._ask_pause()
            if self._cancel.is_set():
                self._send("stop")
                self._status = "stopping"

    def pause(self) -> None:
        with self._lock:
            self._pause_wanted = True
            if self._status == "running":
                self._ask_pause()

    def resume(self) -> str | None:
        """Train again; a paused run whose slot went to others waits: None, or why not now."""
        with self._lock:
            if self._status == "paused" and not self.slots.may_resume(self):
                return (
                    "Every training slot is taken (your run gave its slot up while paused): it "
                    "stays paused. Press Resume again when one is free."
                )
            self._pause_wanted = False
            if self._status in ("pausing", "paused"):
                self._send("resume")
                self._status = "running"
                self.slots.rest(self, False)
            return None

    def stop(self, note: str | None = None) -> None:
        """End the run after its batch (its weights kept); `note`: why, when its student did not
        ask (shown with the result)."""
        with self._lock:
            self._note = self._note or note
            self._cancel.set()
            self._send("stop")
            if self._status in ("starting", "running", "pausing", "paused"):
                self._status = "stopping"  # at once: the page shows the click was heard

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the run to end; True when it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def model(self) -> LeNet5 | None:
        """The latest weights as a model in eval mode (None before the first batch)."""
        return self._model

    def timeline(self) -> Timeline:
        """The run's timeline so far (a cheap copy: a tuple of snapshots): the live weights
        while it trains, its scheduled snapshots once training is over."""
        with self._lock:
            total = self._started.total_steps if self._started else 0
            return Timeline(tuple(self._snapshots), total)

    @property
    def timeline_length(self) -> int:
        """How many snapshots have arrived: a cheap key for what is drawn from them."""
        return len(self._snapshots)

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
                self._threads_now if self.adapt else 0,  # a fixed count is nobody's doing
                self.slots.cores,
                self._note,
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

    def _record(self, event) -> None:
        if self.recorder is not None:
            self.recorder.event(event)
        with self._lock:
            if isinstance(event, BatchEnd):
                self._batches.append(event)
            elif isinstance(event, Evaluation):
                self._evaluations.append(event)
            elif isinstance(event, Started):
                self._started = event
            elif isinstance(event, Finished):
                self._finished = event

    def _live_snapshot(self, step: int, epoch: float) -> None:
        """The weights that just arrived as a moment of the live timeline (while it trains)."""
        if not self.keep_snapshots or self._model is None:
            return
        with self._lock:
            if self._final or (self._snapshots and self._snapshots[-1].step >= step):
                return
        snapshot = Snapshot(step, epoch, flat_weights(self._model))
        if sound(snapshot.weights):
            with self._lock:
                self._snapshots.append(snapshot)

    def _timeline(self, snapshots: list[Snapshot]) -> None:
        """The run's whole timeline, sent when its training is over: it replaces the live one."""
        if self.recorder is not None:
            for snapshot in snapshots:
                self.recorder.snapshot(snapshot)
        with self._lock:
            self._snapshots, self._final = list(snapshots), True

    def _paused(self, pauses: int) -> None:
        """The process acknowledged pause request number `pauses` and blocks; a later request
        (or a resume since) keeps the status as it is."""
        with self._lock:
            if self._status == "pausing" and pauses == self._pauses:
                self._status = "paused"
                self.slots.rest(self, True)  # its slot and cores go to the others meanwhile
                timer = threading.Timer(self.pause_limit, self._paused_too_long, args=(pauses,))
                timer.daemon = True
                timer.start()

    def _paused_too_long(self, pauses: int) -> None:
        """Still in the pause it was in `pause_limit` seconds ago: stopped, weights kept."""
        with self._lock:
            still = self._status == "paused" and pauses == self._pauses
        if still:
            minutes = self.pause_limit / 60
            long = (
                f"{minutes:g} minute{'s' * (minutes != 1)}"
                if minutes >= 1
                else f"{self.pause_limit:g} second{'s' * (self.pause_limit != 1)}"
            )
            self.stop(
                f"It was stopped after {long} paused, so that others could train. Its network "
                "keeps what it learned."
            )

    def _end(self, status: str, error: str | None = None) -> None:
        with self._lock:
            self._status, self._error = status, error
        if self.recorder is not None and status not in ACTIVE:
            self.recorder.end(status, error, self._model)
