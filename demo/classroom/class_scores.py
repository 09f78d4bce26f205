"""Every stored run measured on the class's own digits: once per run and version of the set, in a
background thread, so the Class page never waits for it (it shows "measuring..." meanwhile).

One `ClassScores` per server (`scores()`): the Class pages of every student ask it, and it
works through the runs one at a time at low priority (each: the run's checkpoint from the store,
one forward pass over the set, each digit's reading kept). Once a run has learned from the
class's digits (Train's "Also learn from the class's digits"; `lenet.data.class_set`), the Class
page measures every run on the held-out fifth (`measured_on`), the same digits for all. Plain
Python and threads; no Streamlit calls in the worker.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections import deque
from dataclasses import dataclass

import numpy as np
import torch

from lenet.data.class_set import held_out, learned_from_set
from lenet.data.mnist import to_model_input
from lenet.errors import LenetError
from lenet.files.checkpoint import load_checkpoint_bytes
from lenet.store.digits import DigitSet
from lenet.store.runs import RunStore

logger = logging.getLogger(__name__)
MEASURING = "measuring"  # a score not known yet for this version of the set


@dataclass(frozen=True)
class Score:
    """A run's reading of each of the class's digits (in the set's order), and whether it
    learned from the set; its accuracy on any part of the set follows from these."""

    predicted: tuple[int, ...]
    learned: bool = False  # Train's "Also learn from the class's digits": its four fifths

    def accuracy(self, labels: np.ndarray, on: np.ndarray) -> float | None:
        """The share read right of the digits `on` (None: there are none)."""
        if not on.any():
            return None
        return float((np.asarray(self.predicted)[on] == labels[on]).mean())


def measured_on(digits: DigitSet, scores: dict) -> np.ndarray:
    """Which digits every run is measured on: all of them, or, once a run has learned from the
    set, the held-out fifth (`lenet.data.class_set.held_out`) for every run, so the column
    compares runs on the same digits, none of which any run learned from."""
    if any(isinstance(score, Score) and score.learned for score in scores.values()):
        return held_out(digits.ids)
    return np.ones(len(digits.ids), bool)


class ClassScores:
    """Scores of (run, set version), worked out by one thread of its own as they are asked."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (store, run, set version) -> its score; None: the run has no weights to measure
        self._done: dict[tuple[str, int, str], Score | None] = {}
        self._queue: deque[tuple[RunStore, int, DigitSet]] = deque()
        self._queued: set[tuple[str, int, str]] = set()
        self._thread: threading.Thread | None = None

    def scores(
        self, store: RunStore, run_ids: list[int], digits: DigitSet
    ) -> dict[int, Score | None | str]:
        """Each run's score on `digits`: a Score, None (no weights to measure) or MEASURING
        (asked for now; a later call has it)."""
        out: dict[int, Score | None | str] = {}
        with self._lock:
            for run_id in run_ids:
                key = (store.where, run_id, digits.version)
                if key in self._done:
                    out[run_id] = self._done[key]
                    continue
                out[run_id] = MEASURING
                if key not in self._queued:
                    self._queued.add(key)
                    self._queue.append((store, run_id, digits))
            if self._queue:
                self._start()
        return out

    def idle(self) -> bool:
        """Whether every score asked for is known (the tests wait for it)."""
        with self._lock:
            return not self._queue and not self._queued

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._work, name="lenet-class-scores")
            self._thread.daemon = True
            self._thread.start()

    def _work(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # pages first: nice 10 (Linux)
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        inputs: dict[str, torch.Tensor] = {}
        while True:
            with self._lock:
                if not self._queue:
                    return
                store, run_id, digits = self._queue.popleft()
            if digits.version not in inputs:  # the newest set only: older ones are let go
                inputs = {digits.version: to_model_input(torch.from_numpy(digits.images))}
            try:
                score = _measure(store, run_id, digits, inputs[digits.version])
            except Exception:  # noqa: BLE001 - one odd run must not stop the others' scores
                logger.exception("class digits: run %s not measured", run_id)
                score = None
            key = (store.where, run_id, digits.version)
            with self._lock:
                self._done[key] = score
                self._queued.discard(key)
                self._forget_old(digits.version)

    def _forget_old(self, newest: str) -> None:
        """Keep the scores of the newest set and a few before it (pages still showing them)."""
        versions = list(dict.fromkeys(key[2] for key in self._done))
        for old in versions[:-4]:
            if old != newest:
                for key in [k for k in self._done if k[2] == old]:
                    del self._done[key]


def _measure(store: RunStore, run_id: int, digits: DigitSet, x: torch.Tensor) -> Score | None:
    try:
        data = store.checkpoint(run_id)
        if data is None:
            return None
        model, meta = load_checkpoint_bytes(data, f"run {run_id}")
    except LenetError as error:
        logger.info("class digits: run %s not measured: %s", run_id, error)
        return None
    with torch.no_grad():
        predicted = model(x).argmax(1).numpy() if len(x) else np.zeros(0, np.int64)
    return Score(tuple(int(p) for p in predicted), learned_from_set(meta))
