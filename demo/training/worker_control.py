"""How a training process obeys the app: pause, resume and stop between batches, each pause
acknowledged once no more batches can come, and an exit the moment the app is gone.

The app may die any way at all (`kill -9` included, so no clean-up of its own runs): a thread
here waits on the two pipes whose far ends only the app holds, the control pipe and
multiprocessing's parent sentinel, and ends the process with `os._exit` as soon as either closes,
whatever the trainer's thread is doing (a blocking write to a full pipe, a slow data load). The
worker server then sees its own pipe from the app close and ends (`watch_app` covers its start-up),
and the resource tracker ends once every holder of its pipe has gone.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import threading
import time
from collections.abc import Callable

# Imported by the worker server before anything heavy (demo.training.worker_preload): standard
# library only.
ENV_APP = "LENET_WORKER_APP"  # the pid of the app that starts the worker server


class Gate:
    """Pause, resume and stop as the app asked; the trainer waits here between batches."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.pauses = 0  # pause requests so far: an acknowledgement names the one it answers
        self.paused = False
        self.stopped = False

    def apply(self, message: str) -> None:
        with self._changed:
            if message == "pause":
                self.pauses += 1
                self.paused = True
            elif message == "resume":
                self.paused = False
            elif message == "stop":
                self.stopped = True
            self._changed.notify_all()

    def hold(self, acknowledge: Callable[[int], None]) -> float:
        """Block while paused and not stopped; each new pause request is acknowledged once,
        from here, so the acknowledgement is the last message before the run blocks. Returns
        the seconds spent blocked."""
        with self._changed:
            if not self.paused or self.stopped:
                return 0.0
            began, answered = time.perf_counter(), 0
            while self.paused and not self.stopped:
                if answered != self.pauses:
                    answered = self.pauses
                    acknowledge(answered)
                self._changed.wait()
            return time.perf_counter() - began


def obey(gate: Gate, control, share: Callable[[int], None] | None = None) -> None:
    """Pass the app's messages to `gate` (and its ("share", threads) to `share`) until the app
    closes its end or dies, then end this process at once: nobody reads what it would still
    send."""
    app = multiprocessing.parent_process()  # the app, also when forked by the worker server
    watched = [control] if app is None else [control, app.sentinel]
    try:
        while True:
            ready = multiprocessing.connection.wait(watched)
            if app is not None and app.sentinel in ready:
                break  # the app died: its end of the sentinel pipe closed
            message = control.recv()
            if isinstance(message, tuple):  # ("share", threads): only demo.training.jobs sends it
                if share is not None and len(message) == 2 and isinstance(message[1], int):
                    share(message[1])
            else:
                gate.apply(message)
    except (EOFError, OSError):  # the app closed the control pipe: it has all it wanted
        pass
    os._exit(0)


def watch_app(app_pid: int, done: threading.Event, every_s: float = 0.1) -> None:
    """End this process when it is no longer `app_pid`'s child (the app died), until `done`:
    for the worker server while it loads data, before it watches its own pipe."""
    while not done.wait(every_s):
        if os.getppid() != app_pid:
            os._exit(0)
