"""A run's minibatch curve as the run store keeps it: the loss and learning rate of at most
`MOST_POINTS` minibatches, evenly spread over the run (every one in a run of up to that many
steps), so a stored run draws the loss and learning-rate charts of a live one.

`BatchCurve` follows a run's `BatchEnd` events in bounded memory; `to_json` is what the store
writes (columns of rounded numbers, ~36 kB at most), `from_json` reads it back checked: a point
of the wrong shape is left out, whatever a database written by hand holds.
"""

from __future__ import annotations

import math
from typing import NamedTuple

MOST_POINTS = 1000  # like the charts' 400 drawn, with room for a running mean over them
FIELDS = ("step", "epoch", "loss", "lr")


class BatchPoint(NamedTuple):
    step: int
    epoch: float
    loss: float
    lr: float


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def evenly(points: list, most: int = MOST_POINTS) -> list:
    """At most `most` of `points`, evenly spread, the first and the last kept."""
    if len(points) <= most or most < 2:
        return list(points[-most:]) if most else []
    last = len(points) - 1
    return [points[round(i * last / (most - 1))] for i in range(most)]


class BatchCurve:
    """The points of a run as it trains: every minibatch's until there are 2 x MOST_POINTS,
    then every second one's, and so on (memory stays bounded); the last one always."""

    def __init__(self, most: int = MOST_POINTS) -> None:
        self.most = most
        self._kept: list[BatchPoint] = []
        self._every, self._seen = 1, 0
        self._last: BatchPoint | None = None

    def add(self, step: int, epoch: float, loss: float, lr: float) -> None:
        """One minibatch; one whose loss or rate is not a number (diverging) is left out."""
        if not all(_finite(v) for v in (epoch, loss, lr)):
            return
        point = BatchPoint(int(step), float(epoch), float(loss), float(lr))
        self._last = point
        if self._seen % self._every == 0:
            self._kept.append(point)
            if len(self._kept) >= 2 * self.most:
                self._kept, self._every = self._kept[::2], self._every * 2
        self._seen += 1

    def points(self) -> list[BatchPoint]:
        """At most `most` points in step order, the run's last minibatch included."""
        kept = list(self._kept)
        if self._last is not None and (not kept or kept[-1].step < self._last.step):
            kept.append(self._last)
        return evenly(kept, self.most)


def to_json(points: list[BatchPoint]) -> dict:
    """The stored form: one list a field, rounded to what a chart shows."""
    return {
        "step": [p.step for p in points],
        "epoch": [round(p.epoch, 4) for p in points],
        "loss": [float(f"{p.loss:.4g}") for p in points],
        "lr": [float(f"{p.lr:.4g}") for p in points],
    }


def from_json(value: object) -> tuple[BatchPoint, ...]:
    """The points of a stored curve, in step order; empty for anything that is not one."""
    if not isinstance(value, dict) or not all(isinstance(value.get(f), list) for f in FIELDS):
        return ()
    points: list[BatchPoint] = []
    for step, *numbers in zip(*(value[f] for f in FIELDS), strict=False):
        if type(step) is not int or not all(_finite(v) for v in numbers):
            continue
        if step >= 0 and (not points or step > points[-1].step):
            points.append(BatchPoint(step, *(float(v) for v in numbers)))
    return tuple(points[:MOST_POINTS])
