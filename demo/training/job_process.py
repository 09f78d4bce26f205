"""A training job's process, as the job's listener thread sees it: started with the run's share
of the cores, told when that share changes, and listened to until it ends (`demo.training.jobs`)."""

from __future__ import annotations

import collections
import queue
import time

import numpy as np
import torch

from demo.training.worker import worker_context, worker_main
from lenet.model import LeNet5


class ProcessRun:
    """The part of `demo.training.jobs.TrainingJob` that owns the worker process (a mixin: the job's
    state, lock and `_record`/`_end`/`_paused` are the job's own). `event_lags`: seconds from
    each batch of events leaving the run to its filing here, the last 256 (benchmarks read it)."""

    event_lags: collections.deque

    def _run_process(self) -> None:
        if self.adapt:  # the share among the runs training now, this one included
            self.threads = self._shared = self.slots.share(self)
        context = worker_context()
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
                self.adapt,
                self.keep_snapshots,
                self.class_digits,
            ),
        )
        process.start()
        child_end.close()
        self._went_live(control)
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

    def _update_share(self) -> None:
        """Tell the process its share of the cores when the number of runs changed."""
        if self.adapt and (share := self.slots.share(self)) != self._shared:
            self._shared = share
            with self._lock:
                self._send(("share", share))

    def _listen(self, events, process) -> None:
        while True:
            self._update_share()
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
            if self._handle(kind, payload):
                return

    def _handle(self, kind: str, payload) -> bool:
        """File one message from the run (`demo.training.worker._Sender`'s protocol, the same from a
        process or a Ray actor); True when it was the run's last."""
        if kind == "events":
            events, sent = payload
            self.event_lags.append(time.time() - sent)
            for event in events:
                self._record(event)
        elif kind == "weights":
            weights, step, epoch = payload
            self._model = self._rebuild(weights)
            self.model_version += 1
            self._live_snapshot(step, epoch)
        elif kind == "timeline":
            self._timeline(payload)
        elif kind == "paused":
            self._paused(payload)
        elif kind == "threads":
            with self._lock:
                self._threads_now = payload
        elif kind == "end":
            self._end(*payload)
            return True
        return False

    def _rebuild(self, weights: dict[str, np.ndarray]) -> LeNet5:
        model = LeNet5(self.config.model)
        # weights from Ray arrive read-only (zero-copy from its object store): copied then
        model.load_state_dict(
            {k: torch.from_numpy(v if v.flags.writeable else v.copy()) for k, v in weights.items()}
        )
        return model.eval()
