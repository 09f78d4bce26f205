"""A training run as a Ray actor's state: plain Python, no Ray import (`demo.training.cluster.jobs`
wraps it with `ray.remote`), so it is tested without a cluster.

The trainer runs in `train`, on one of the actor's threads (a threaded actor: Ray Client takes
no concurrency groups); measured with one torch thread, training there is as fast as on a main
thread (1.09 s vs 1.10 s for 60 Quick steps); with two, 25% slower (0.62 vs 0.78 s), which is
why a run asks Ray for one CPU by default. The app talks to it on the other threads: `control`
(pause/resume/stop, into the same `Gate` a local run's process obeys) and `poll`, which returns
what the run said since the last poll, waiting up to `wait_s` for something: the app pulls, at
most one call in flight per run, so a slow or gone app server never makes a run's messages pile
up anywhere but here.
"""

from __future__ import annotations

import functools
import hashlib
import os
import socket
import threading
from pathlib import Path

from demo.training.worker import DataSource, data_for, train_run
from demo.training.worker_control import Gate
from lenet.training.threads import ThreadGovernor


@functools.cache
def code_version() -> str:
    """A digest of this checkout's `demo` and `lenet` sources: an app server and the cluster's
    nodes must run the same code (the messages between them, the trainer, the data)."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parents[3]
    for path in sorted([*root.glob("demo/**/*.py"), *root.glob("lenet/**/*.py")]):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


class Outbox:
    """The run's messages (`demo.training.worker._Sender`'s protocol) until the app polls them."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._items: list = []

    def put(self, item) -> None:
        with self._changed:
            self._items.append(item)
            self._changed.notify_all()

    def take(self, wait_s: float) -> list:
        with self._changed:
            if not self._items:
                self._changed.wait(wait_s)
            items, self._items = self._items, []
            return items


class RunActor:
    """One run: created (and so scheduled by Ray) with its settings, trained by `train`."""

    def __init__(
        self,
        config: dict,
        source: DataSource,
        threads: int,
        publish_s: float,
        snapshots: bool,
        class_digits=None,
    ) -> None:
        self.config, self.source, self.threads = config, source, threads
        self.publish_s, self.snapshots, self.class_digits = publish_s, snapshots, class_digits
        self.gate, self.outbox = Gate(), Outbox()

    def where(self) -> tuple[str, str]:
        """Where the run trains (host:pid) and the version of the code it runs: also the app's
        sign that the actor is up."""
        return f"{socket.gethostname()}:{os.getpid()}", code_version()

    def train(self) -> None:
        governor = ThreadGovernor(
            limit=self.threads, fixed=True, on_change=lambda now: self.outbox.put(("threads", now))
        )
        try:
            data = data_for(self.source)
        except Exception as error:  # noqa: BLE001 - the student must learn why, in one line
            self.outbox.put(
                ("end", ("failed", f"MNIST could not be loaded on the cluster: {error}"))
            )
            return
        train_run(
            self.config,
            data,
            self.outbox,
            self.gate,
            governor,
            self.publish_s,
            self.snapshots,
            self.class_digits,
        )

    def control(self, message: str) -> None:
        self.gate.apply(message)

    def poll(self, wait_s: float = 0.25) -> list:
        return self.outbox.take(wait_s)
