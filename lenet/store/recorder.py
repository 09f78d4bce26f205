"""Recording a training run in the run store while it trains, for the app and the CLI.

A `RunRecorder` creates the run's row at once (so a store that cannot take it says so before
training starts) and then follows the trainer's events: running, every evaluation's curves, and
the end with results, weights and the minibatch curve (`lenet.training.batch_curve`, kept
meanwhile). Those later writes go through a `StoreWriter`, one thread per process that writes in
order, so a slow or locked database never holds up training or a page. A write the database cannot
take now (locked, read-only, unreachable) is tried again every few seconds, the writes after it
waiting in order, and its reason is `problem` meanwhile, for the app or CLI to report; nothing is
lost if the database comes back within the hour.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from lenet.config import TrainConfig
from lenet.files.checkpoint import checkpoint_bytes
from lenet.model import LeNet5
from lenet.store.runs import RunStore, StoreError, check_name
from lenet.timeline.snapshots import Snapshot
from lenet.training.batch_curve import BatchCurve, to_json
from lenet.training.trainer import BatchEnd, Evaluation, Finished, Started, event_to_dict

logger = logging.getLogger(__name__)
SNAPSHOTS_A_WRITE = 41  # a long run's timeline is written in two parts (~10 MB each)
ROWS_A_WRITE = 10  # snapshots a transaction (~2.5 MB): the store is never locked for long
RETRY_S = 5.0  # a write the database could not take now is tried again this often...
GIVE_UP_S = 3600.0  # ...for up to an hour (a lesson), then given up with the problem kept


class StoreWriter:
    """Store writes on a thread of their own, in the order they were asked for."""

    def __init__(
        self,
        store: RunStore,
        quiet: bool = False,
        check: Callable[[], str | None] | None = None,
    ) -> None:
        """`quiet`: the caller reports `problem` itself (nothing logged). `check`: asked before
        each write; a line from it (the store's file is gone) holds the writes, in order, as a
        store that cannot take them now would. `store` may be replaced by a fresh one."""
        self.store, self.quiet, self.check = store, quiet, check
        self.problem: str | None = None  # why the last write failed, in one line; None after
        # a write that worked (the store was fixed: runs are being saved again)
        self._queue: queue.Queue[Callable[[RunStore], None]] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, write: Callable[[RunStore], None]) -> None:
        self._queue.put(write)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="lenet-store", daemon=True)
                self._thread.start()

    def flush(self, timeout: float = 60.0) -> bool:
        """Wait until every write asked for so far is done; False if that took too long."""
        done = threading.Event()
        self.submit(_Flush(done))
        return done.wait(timeout)

    def _loop(self) -> None:
        while True:
            try:
                write = self._queue.get(timeout=30.0)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            self._run(write)

    def _run(self, write: Callable[[RunStore], None]) -> None:
        """One write; one the database may take later (locked, read-only, unreachable) is tried
        again every RETRY_S for up to GIVE_UP_S, the later writes waiting behind it in order."""
        give_up = time.monotonic() + GIVE_UP_S
        while True:
            try:
                if self.check is not None and (why := self.check()):
                    raise StoreError(why, later=True)
                write(self.store)
            except StoreError as error:
                if self.problem != str(error) and not self.quiet:
                    logger.warning("run store: %s", error)
                self.problem = str(error)
                if error.later and time.monotonic() < give_up and not isinstance(write, _Flush):
                    time.sleep(RETRY_S)
                    continue
            except Exception:  # a bug must not end the thread that every later write needs
                logger.exception("run store write failed")
                self.problem = "a run could not be saved in the run store (see the server log)"
            else:
                if not isinstance(write, _Flush):
                    self.problem = None
            return


class _Flush:
    """A place in the queue that `flush` waits for; not a write."""

    def __init__(self, done: threading.Event) -> None:
        self.done = done

    def __call__(self, _store: RunStore) -> None:
        self.done.set()


def result_of(finished: Finished | None, message: str | None = None) -> dict:
    """The columns a run's end fills in."""
    if finished is None:
        return {"message": message}
    return {
        "test_accuracy": finished.test_accuracy,
        "per_class": list(finished.per_class_accuracy),
        "seconds": finished.seconds,
        "steps": finished.step,
        "message": message or finished.message or None,
    }


def metrics_of(finished: Finished) -> dict:
    """A finished run's results as its checkpoint and history file keep them."""
    return {
        "test_accuracy": finished.test_accuracy,
        "per_class_accuracy": list(finished.per_class_accuracy),
        "seconds": finished.seconds,
        "outcome": finished.outcome,
        "steps": finished.step,
    }


def checkpoint_meta(config: TrainConfig, finished: Finished, curves: list[dict], name: str) -> dict:
    """What a checkpoint of a finished run carries besides its weights."""
    return {
        "name": name,
        "train_config": config.to_dict(),
        "metrics": metrics_of(finished),
        "history": list(curves),
    }


class RunRecorder:
    """One run's row, kept up to date from the trainer's events (see the module docstring)."""

    def __init__(
        self,
        writer: StoreWriter,
        name: str,
        config: TrainConfig,
        app_settings: dict | None = None,
        source: str = "app",
        owner: str = "",
        defer: bool = False,
    ) -> None:
        """Creates the row now: raises StoreError (one line) when the store cannot take it.
        `defer` (the app): the row is created by the writer's thread, so a locked or failing
        store never holds up the page; `run_id` is None until it is (`created`), and a store
        that cannot take it now gets it when it can, the run's other writes after it. A name
        the store refuses still raises here."""
        self.writer, self.config = writer, config
        self.created = threading.Event()
        self.run_id: int | None = None
        row = (check_name(name), config.to_dict(), app_settings, source, owner)
        if defer:
            writer.submit(lambda store: self._create(store, row))
        else:
            self._create(writer.store, row)
        self.curves: list[dict] = []
        self.batches = BatchCurve()  # written when the run ends
        self._snapshots: list[Snapshot] = []  # not written yet
        self.finished: Finished | None = None
        self._ended = False
        self._forgotten = False  # the row was deleted: nothing more is written

    def _create(self, store: RunStore, row: tuple) -> None:
        self.run_id = store.create(*row)
        self.created.set()

    def forget(self) -> None:
        """The run's row was deleted while it trained (the teacher): its later writes are
        dropped here, quietly, instead of failing in the store."""
        self._forgotten = True

    def event(self, event) -> None:
        """A trainer event: Started, each Evaluation and Finished change the row; each
        BatchEnd joins the minibatch curve."""
        if self._forgotten:
            return
        if isinstance(event, BatchEnd):
            self.batches.add(event.step, event.epoch, event.loss, event.lr)
        elif isinstance(event, Started):
            self._submit(lambda store, run_id: store.update(run_id, status="running"))
        elif isinstance(event, Evaluation):
            self.curves.append(event_to_dict(event))
            curves = list(self.curves)
            self._submit(lambda store, run_id: store.update(run_id, curves=curves))
        elif isinstance(event, Finished):
            self.finished = event

    def snapshot(self, snapshot: Snapshot) -> None:
        """One of the run's timeline snapshots (`lenet.timeline`): written when the run ends
        (writing as they came cost ~2% of a Quick demo's training time on 2 cores: the store's
        work takes a core from training), or SNAPSHOTS_A_WRITE at a time in a long run."""
        if self._forgotten:
            return
        self._snapshots.append(snapshot)
        if len(self._snapshots) >= SNAPSHOTS_A_WRITE:
            self._write_snapshots()

    def _submit(self, write) -> None:
        """`write(store, run_id)` on the writer's thread, once the row exists (a row the store
        never took, or one deleted meanwhile: nothing is written)."""

        def work(store: RunStore) -> None:
            if self.run_id is not None and not self._forgotten:
                write(store, self.run_id)

        self.writer.submit(work)

    def _write_snapshots(self) -> None:
        kept, self._snapshots = self._snapshots, []
        for start in range(0, len(kept), ROWS_A_WRITE):  # short transactions: short locks
            part = kept[start : start + ROWS_A_WRITE]
            rows = [(s.step, s.epoch, s.weights.tobytes()) for s in part]
            self._submit(lambda store, run_id, rows=rows: store.add_snapshots(run_id, rows))

    def end(self, status: str, message: str | None = None, model: LeNet5 | None = None) -> None:
        """The run ended (done, stopped, diverged or failed): results and, for a run that
        finished or was stopped after training, its weights. Only the first call counts."""
        if self._ended or self._forgotten:
            return
        self._ended = True
        self._write_snapshots()
        curves, finished = list(self.curves), self.finished
        keep = model is not None and finished is not None and status in ("done", "stopped")
        batches = self.batches.points()

        def write(store: RunStore, run_id: int) -> None:
            data = None
            if keep:
                meta = checkpoint_meta(self.config, finished, curves, f"run{run_id}")
                data = checkpoint_bytes(model, meta)
            points = to_json(batches) if batches else None
            store.finish(run_id, status, curves, result_of(finished, message), data, points)
            store.thin_timelines()  # older runs' timelines go past the limits (store_space)

        self._submit(write)
