"""A command-line run in the run store: its nickname, and its row kept by a RunRecorder.

Every `python -m lenet.train` run is recorded, under `--name` or the login name. A store that
cannot be opened or written is said in one line on stderr; the run still trains and saves its
checkpoint, unrecorded.
"""

from __future__ import annotations

import contextlib
import sys
import threading

from lenet.config import TrainConfig
from lenet.model import LeNet5
from lenet.store.recorder import RunRecorder, StoreWriter
from lenet.store.runs import HEARTBEAT_S, StoreError, open_store, process_owner

FLUSH_S = 30.0  # how long the end of a run waits for a store that cannot take its writes


class Recording:
    """The run's row in the run store (a RunRecorder). A store that cannot take it is said in
    one line on stderr, and the run trains and saves its checkpoint unrecorded."""

    def __init__(self, name: str, config: TrainConfig) -> None:
        self.name, self.status, self.recorder = name, "", None
        try:
            store = open_store()
        except StoreError as error:
            not_recorded(error)
            return
        try:
            owner = process_owner("cli")
            store.expire()  # runs whose trainer died long ago are not "running" any more
            writer = StoreWriter(store, quiet=True)  # a problem is said once, in one line, here
            self.recorder = RunRecorder(writer, name, config, None, "cli", owner)
        except StoreError as error:
            store.close()
            not_recorded(error)
            return
        self._beating = threading.Event()
        threading.Thread(target=self._beat, args=(store, owner), daemon=True).start()

    def _beat(self, store, owner: str) -> None:
        """Say every HEARTBEAT_S that this run is still training (see RunStore.expire)."""
        while not self._beating.wait(HEARTBEAT_S):
            with contextlib.suppress(StoreError):
                store.touch(owner)

    def event(self, event) -> None:
        if self.recorder is not None:
            self.recorder.event(event)

    def snapshot(self, snapshot) -> None:
        """A timeline snapshot (`lenet.timeline.snapshots.Snapshot`), kept with the run."""
        if self.recorder is not None:
            self.recorder.snapshot(snapshot)

    def end(self, status: str, message: str | None = None, model: LeNet5 | None = None) -> None:
        """The run's outcome (done, stopped, diverged, failed); only the first call counts."""
        if self.recorder is not None and not self.status:
            self.status = status
            self.recorder.end(status, message, model)

    def close(self) -> None:
        """Wait for the row's last writes, then say where the run is, or why it is not."""
        if self.recorder is None:
            return
        self._beating.set()
        writer = self.recorder.writer
        flushed = writer.flush(FLUSH_S)
        writer.store.close()
        if not flushed or writer.problem:
            not_recorded(writer.problem or "still busy", "fully ")
            return
        status = "" if self.status == "done" else f", {self.status}"
        print(
            f"Recorded as run {self.recorder.run_id} (nickname {self.name}{status}) "
            f"in {writer.store.where}"
        )


def not_recorded(problem: object, how: str = "") -> None:
    """The one line that says a run is not (fully) in the run store, and why."""
    print(f"Run store: {problem}; the run is not {how}recorded", file=sys.stderr)
