"""What the page draws of a training run: a frozen copy of a `demo.training.jobs.TrainingJob`'s
state."""

from __future__ import annotations

from dataclasses import dataclass

from lenet.config import TrainConfig
from lenet.training.trainer import BatchEnd, Evaluation, Finished, Started

# "pausing": asked to pause, batches may still arrive; "paused": the run said no more will;
# "stopping": asked to stop, the run ends after its batch and its test-set evaluation
ACTIVE = ("queued", "starting", "running", "pausing", "paused", "stopping")


@dataclass(frozen=True)
class JobSnapshot:
    """A consistent copy of a job's state for the page: plain values and frozen events."""

    job_id: int
    status: str  # queued|starting|running|pausing|paused|stopping|stopped|done|diverged|failed
    queue_position: int | None
    config: TrainConfig
    started: Started | None
    batches: tuple[BatchEnd, ...]
    evaluations: tuple[Evaluation, ...]
    finished: Finished | None
    error: str | None
    threads: int = 0  # torch threads the run trains with now (0: not yet, or a fixed count)
    cores: int = 0  # the server's cores
    note: str | None = (
        None  # why it was stopped, when not by the student (a long pause, the teacher)
    )

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def progress(self) -> float:
        if self.started is None or not self.batches:
            return 0.0
        return self.batches[-1].step / self.started.total_steps

    @property
    def seconds_left(self) -> float | None:
        """Remaining training time at the current speed (evaluations not counted)."""
        if self.started is None or not self.batches or self.batches[-1].samples_per_s <= 0:
            return None
        last = self.batches[-1]
        steps_left = self.started.total_steps - last.step
        batch = min(self.config.batch_size, self.started.train_size)
        return steps_left * batch / last.samples_per_s
