"""Training one minibatch at a time, for a student to watch (the Train page's Step button).

`StepByStep` holds a model, optimizer and data order of its own, built from a `TrainConfig` the
way `lenet.training.trainer.Trainer` builds them: the seeded initial weights, a `randperm` of the
training images per epoch from a generator seeded with `config.seed`, the same optimizer. So its
step k trains on the batch the Trainer's step k trains on. It always runs on the CPU.

Its steps are full size from the first click (`step_rate`), where a run's first steps are small
(measured over three steps, real MNIST: the loss each step lowered its batch's by, and how many of
the 16 shown predictions changed):
- no schedule: a one-cycle run starts at a 25th of `config.lr` (Fast's earlier recipe: 0.00012;
  0.001 a step, no prediction changed). Every step here uses `config.lr`, the top of every
  schedule in `lenet.training.schedule` (that Fast: 0.02-0.03 a step, 8 predictions changed;
  Quick demo: 0.05-0.06, 29);
- SGD's momentum sums past steps, so its steps grow ~1/(1 - momentum)-fold over the first tens of
  steps (Classic: 0.005-0.013 a step). Here the rate is divided by 1 - momentum**t at step t, the
  bias correction Adam applies to its own running mean: the first steps are as big as a run's
  later ones, and the factor fades to 1 (x1.14 at step 20). Classic: 0.045-0.08, 37 changed.
So the weights differ from a run's, except for Adam or plain SGD with no schedule.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from lenet.config import TrainConfig
from lenet.data.mnist import MNIST, NORM_MEAN, NORM_STD
from lenet.errors import ConfigError
from lenet.training.schedule import make_optimizer
from lenet.training.trainer import build_model


def step_rate(config: TrainConfig, step: int) -> float:
    """The learning rate of step-by-step's step `step` (1 for the first): see the module."""
    if config.optimizer == "sgd" and config.momentum > 0:
        return config.lr / (1 - config.momentum**step)
    return config.lr


@dataclass(frozen=True)
class StepResult:
    """One minibatch before and after its optimizer step; tensors hold the whole batch."""

    step: int  # 1 for the run's first minibatch
    epoch: int  # 1 for the first pass over the training images
    lr: float  # the learning rate this step used (`step_rate`)
    indices: torch.Tensor  # (B,) positions of the batch's images in the training split
    labels: torch.Tensor  # (B,)
    before: torch.Tensor  # (B,) the predicted digit before the step
    after: torch.Tensor  # (B,) the predicted digit after it, on the same images
    loss_before: float  # the batch's cross-entropy that the step went down from
    loss_after: float  # the same batch's cross-entropy after the step

    @property
    def right_before(self) -> int:
        return int((self.before == self.labels).sum())

    @property
    def right_after(self) -> int:
        return int((self.after == self.labels).sum())

    @property
    def changed(self) -> torch.Tensor:
        """(B,) bool: the images whose predicted digit the step changed."""
        return self.before != self.after


class StepByStep:
    """A training run advanced by hand, one minibatch per `step()`; `reset()` starts it again."""

    def __init__(self, config: TrainConfig, data: MNIST) -> None:
        self.config = dataclasses.replace(config, device="cpu")
        self.split = data.train.head(config.train_size)
        if config.batch_size > len(self.split):
            raise ConfigError(
                f"batch size {config.batch_size} is larger than the training set "
                f"({len(self.split)} images): lower it or use more images"
            )
        self.steps_per_epoch = math.ceil(len(self.split) / config.batch_size)
        self.total_steps = self.steps_per_epoch * config.epochs
        self.model = build_model(self.config).to(memory_format=torch.channels_last)
        self.initial = {k: v.clone() for k, v in self.model.state_dict().items()}
        self.reset()

    def reset(self) -> None:
        """Back to the initial weights, a fresh optimizer and the first batch."""
        self.model.load_state_dict(self.initial)
        self.model.train()
        self.optimizer = make_optimizer(self.model, self.config)  # no schedule: see `step_rate`
        self.generator = torch.Generator().manual_seed(self.config.seed)
        self.order = torch.empty(0, dtype=torch.long)
        self.steps = 0
        self.last: StepResult | None = None

    @property
    def finished(self) -> bool:
        """Whether every step of the settings' run (all its epochs) has been taken."""
        return self.steps >= self.total_steps

    def next_indices(self) -> torch.Tensor:
        """The next batch's positions in the training split (a new epoch draws its order)."""
        position = self.steps % self.steps_per_epoch
        if position == 0:  # as `Split.batches`: one randperm per epoch, drawn when it begins
            self.order = torch.randperm(len(self.split), generator=self.generator)
        start = position * self.config.batch_size
        return self.order[start : start + self.config.batch_size]

    def step(self) -> StepResult:
        """Train on exactly one minibatch (one optimizer step at `step_rate`); say what changed."""
        if self.finished:
            raise ConfigError(f"the run has ended: all {self.total_steps} steps are taken")
        epoch = self.steps // self.steps_per_epoch + 1
        indices = self.next_indices()
        x, y = self.split.images[indices], self.split.labels[indices]
        lr = step_rate(self.config, self.steps + 1)
        self.optimizer.param_groups[0]["lr"] = lr
        logits = self.model(x)
        learned = F.cross_entropy(logits, y, label_smoothing=self.config.label_smoothing)
        self.optimizer.zero_grad(set_to_none=True)
        learned.backward()
        self.optimizer.step()
        loss = F.cross_entropy(logits.detach(), y)  # shown plain, as the loss after it
        with torch.no_grad():
            after = self.model(x)
        self.steps += 1
        self.last = StepResult(
            self.steps,
            epoch,
            lr,
            indices,
            y,
            logits.detach().argmax(1),
            after.argmax(1),
            loss.item(),
            F.cross_entropy(after, y).item(),
        )
        return self.last


def as_pixels(images: torch.Tensor) -> np.ndarray:
    """Model inputs (N, 1, H, W) in [-1, 1] -> (N, H, W) uint8 grey levels, for showing."""
    grey = images[:, 0] * NORM_STD + NORM_MEAN
    return (grey.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
