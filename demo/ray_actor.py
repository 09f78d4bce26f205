"""A training run as a Ray actor's state: plain Python, no Ray import (`demo.ray_jobs` wraps it
with `ray.remote`), so it is tested without a cluster.

The trainer runs in `train`. CAUTION (measured): with concurrency groups Ray runs every method,
`train` included, on pool threads, not the actor's main thread, where PyTorch's CPU kernels are
fastest (`demo.worker`); a plain actor (max_concurrency=1) or a streaming generator runs on the
main thread. See .notes/ray15_design.md for the way out. The app talks to it on the "control"
group's two threads: `control` (pause/resume/stop, into the same `Gate` a local run's process
obeys) and `poll`, which returns what the run said since the last poll, waiting up to `wait_s` for
something: the app pulls, at most one call in flight per run, so a slow or gone app server never
makes a run's messages pile up anywhere but here.
"""

from __future__ import annotations

import os
import socket
import threading

from demo.worker import DataSource, train_run
from demo.worker_control import Gate
from lenet.threads import ThreadGovernor


class Outbox:
    """The run's messages (`demo.worker._Sender`'s protocol) until the app polls them."""

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
        self, config: dict, source: DataSource, threads: int, publish_s: float, snapshots: bool
    ) -> None:
        self.config, self.source, self.threads = config, source, threads
        self.publish_s, self.snapshots = publish_s, snapshots
        self.gate, self.outbox = Gate(), Outbox()

    def where(self) -> str:
        """Where the run trains (host:pid): also the app's sign that the actor is up."""
        return f"{socket.gethostname()}:{os.getpid()}"

    def train(self) -> None:
        governor = ThreadGovernor(
            limit=self.threads, fixed=True, on_change=lambda now: self.outbox.put(("threads", now))
        )
        try:
            data = self.source.load()
        except Exception as error:  # noqa: BLE001 - the student must learn why, in one line
            self.outbox.put(
                ("end", ("failed", f"MNIST could not be loaded on the cluster: {error}"))
            )
            return
        train_run(
            self.config, data, self.outbox, self.gate, governor, self.publish_s, self.snapshots
        )

    def control(self, message: str) -> None:
        self.gate.apply(message)

    def poll(self, wait_s: float = 0.25) -> list:
        return self.outbox.take(wait_s)
