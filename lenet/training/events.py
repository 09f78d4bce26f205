"""What the trainer tells its callers: small frozen events of plain numbers, safe to pass
between threads and processes and to write as JSON.

Event order for one run: `Started`, then `BatchEnd` after every minibatch with an `Evaluation`
after the batches that close an evaluation point, then exactly one `Finished`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Started:
    total_steps: int
    steps_per_epoch: int
    train_size: int
    device: str


@dataclass(frozen=True)
class BatchEnd:
    step: int  # 1-based count of minibatches done
    epoch: float  # fractional epochs done, e.g. 2.5
    loss: float
    lr: float
    samples_per_s: float


@dataclass(frozen=True)
class Evaluation:
    step: int
    epoch: float
    train_loss: float  # running mean over the batches since the previous evaluation
    train_accuracy: float
    val_loss: float
    val_accuracy: float


@dataclass(frozen=True)
class Finished:
    outcome: str  # done | stopped | diverged
    step: int
    seconds: float  # training time, pauses excluded
    test_accuracy: float | None  # None when diverged
    per_class_accuracy: tuple[float, ...]
    message: str


Event = Started | BatchEnd | Evaluation | Finished


def event_to_dict(event: Event) -> dict:
    """A JSON-ready dict with the event's kind under 'event'."""
    return {"event": type(event).__name__, **asdict(event)}
