"""The trainer: settings in, small events out, pause/resume/stop from any thread.

Event order for one run: `Started`, then `BatchEnd` after every minibatch with an `Evaluation`
after the batches that close an evaluation point (`evals_per_epoch` a epoch, the last one at the
epoch's end), then exactly one `Finished`. The trainer never prints and never saves: callers
subscribe with `run(on_event)`. Events carry plain numbers only, so they can cross threads.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from lenet.config import TrainConfig
from lenet.data.class_set import Joined
from lenet.data.mnist import MNIST, Split
from lenet.errors import ConfigError
from lenet.model import LeNet5
from lenet.timeline.snapshots import SnapshotLog, eval_steps, snapshot_steps
from lenet.training.advice import advise
from lenet.training.events import (  # re-exported: callers import the events from here too
    BatchEnd,
    Evaluation,
    Event,
    Finished,
    Started,
    event_to_dict,  # noqa: F401
)
from lenet.training.metrics import evaluate_split, per_class_accuracy, predict_logits
from lenet.training.schedule import make_optimizer, make_scheduler

DIVERGED_LOSS = 100.0  # cross-entropy this high means logits blown up, not a hard batch
_INIT_LOCK = threading.Lock()  # torch.manual_seed is process-wide: seed + init as one step


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' was asked for but no CUDA GPU is available; use auto")
    return torch.device(name)


def diverged_message(config: TrainConfig, step: int, loss: float, lr: float) -> str:
    """Why a run stopped as diverged: the rate the student chose (and the schedule's at that
    step, when it differs), and what to try (`lenet.training.advice`)."""
    now = f" (the schedule had it at {lr:.3g})" if abs(lr - config.lr) > 1e-9 * config.lr else ""
    advice = advise(config, diverged=True)
    size = "not a number" if math.isnan(loss) else f"{loss:,.0f}" if loss < 1e6 else "huge"
    head = f"Training diverged at step {step}: the loss became {size}."
    if advice.lr is None:  # the smallest rate: the rate is not what to change (the page says)
        return f"{head} It blew up even at learning rate {config.lr:g}{now}."
    return (
        f"{head} The learning rate {config.lr:g}{now} is too high for these settings. "
        f"Try {advice.lr:g}."
    )


def build_model(config: TrainConfig) -> LeNet5:
    """A freshly initialised model, identical for identical seeds."""
    with _INIT_LOCK:
        torch.manual_seed(config.seed)
        return LeNet5(config.model)


class Trainer:
    """Trains one LeNet-5 on MNIST; `pause`, `resume` and `stop` may be called from any thread."""

    def __init__(
        self,
        config: TrainConfig,
        data: MNIST,
        model: LeNet5 | None = None,
        snapshots: bool = True,
        extra: Split | None = None,
    ) -> None:
        """`snapshots`: keep the weights at the timeline's steps in `self.snapshots`
        (`lenet.timeline`); its `on_take` may be set before `run` to hear of each. `extra`:
        images learned beside MNIST's (the class's digits, `lenet.data.class_set`)."""
        self.config = config
        self.device = resolve_device(config.device)
        self.data = data
        self.train_split = data.train.head(config.train_size).to(self.device)
        if extra is not None and len(extra):
            self.train_split = Joined(self.train_split, extra.to(self.device))
        if config.batch_size > len(self.train_split):
            raise ConfigError(
                f"batch size {config.batch_size} is larger than the training set "
                f"({len(self.train_split)} images): lower it or use more images"
            )
        # channels_last lets oneDNN pick its fast convolution kernels: ~1.8x per batch on CPU
        self.model = (model or build_model(config)).to(
            self.device, memory_format=torch.channels_last
        )
        self.steps_per_epoch = math.ceil(len(self.train_split) / config.batch_size)
        self.total_steps = self.steps_per_epoch * config.epochs
        schedule = snapshot_steps(self.steps_per_epoch, config.epochs, config.evals_per_epoch)
        self.snapshots = SnapshotLog(schedule, self.total_steps) if snapshots else None
        self._unpaused = threading.Event()
        self._unpaused.set()
        self._stop = threading.Event()

    def pause(self) -> None:
        self._unpaused.clear()

    def resume(self) -> None:
        self._unpaused.set()

    def stop(self) -> None:
        self._stop.set()
        self._unpaused.set()  # wake a paused run so it can end

    @property
    def paused(self) -> bool:
        return not self._unpaused.is_set()

    def wait_if_paused(self) -> float:
        """Block while paused; return the seconds spent waiting. `run` calls it before each batch,
        then checks for a stop: a subclass may wait on its own terms (the app's processes do)."""
        if self._unpaused.is_set():
            return 0.0
        began = time.perf_counter()
        self._unpaused.wait()
        return time.perf_counter() - began

    def run(self, on_event: Callable[[Event], None] | None = None) -> Finished:
        """Train to the end, a stop request or divergence; returns the `Finished` event."""
        emit = on_event or (lambda event: None)
        cfg = self.config
        optimizer = make_optimizer(self.model, cfg)
        scheduler = make_scheduler(optimizer, cfg, self.total_steps)
        generator = torch.Generator().manual_seed(cfg.seed)
        closes = eval_steps(self.steps_per_epoch, cfg.evals_per_epoch)
        emit(
            Started(self.total_steps, self.steps_per_epoch, len(self.train_split), str(self.device))
        )
        began, paused_s, step, rate, at = time.perf_counter(), 0.0, 0, 0.0, 0.0
        self._snapshot(step, at)
        window = [0.0, 0, 0]  # loss sum, correct, samples since the last evaluation
        self.model.train()
        for epoch in range(cfg.epochs):
            for index, (x, y) in enumerate(self.train_split.batches(cfg.batch_size, generator), 1):
                paused_s += self.wait_if_paused()
                active_s = time.perf_counter() - began - paused_s
                if self._stop.is_set():
                    self._snapshot(step, at, final=True)
                    return self._finish("stopped", step, active_s, emit)
                tick, lr = time.perf_counter(), optimizer.param_groups[0]["lr"]
                loss, correct = self._step(x, y, optimizer)
                step += 1
                if not math.isfinite(loss) or loss > DIVERGED_LOSS:
                    return self._finish("diverged", step, active_s, emit, lr=lr, loss=loss)
                at = epoch + index / self.steps_per_epoch
                self._snapshot(step, at)
                if scheduler is not None and cfg.scheduler != "plateau":
                    scheduler.step()
                window = [window[0] + loss * len(y), window[1] + correct, window[2] + len(y)]
                batch_rate = len(y) / max(time.perf_counter() - tick, 1e-9)
                rate = batch_rate if step == 1 else 0.9 * rate + 0.1 * batch_rate
                emit(BatchEnd(step, at, loss, lr, rate))
                if index in closes:
                    evaluation = self._evaluate(step, at, window)
                    window = [0.0, 0, 0]
                    if cfg.scheduler == "plateau":
                        scheduler.step(evaluation.val_loss)
                    emit(evaluation)
        self._snapshot(step, at, final=True)
        return self._finish("done", step, time.perf_counter() - began - paused_s, emit)

    def _snapshot(self, step: int, epoch: float, final: bool = False) -> None:
        if self.snapshots is not None:
            self.snapshots.take(step, epoch, self.model, final)

    def _step(self, x: torch.Tensor, y: torch.Tensor, optimizer) -> tuple[float, int]:
        """One minibatch of SGD; returns (plain cross-entropy, number classified right)."""
        logits = self.model(x)
        loss = F.cross_entropy(logits, y, label_smoothing=self.config.label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if self.config.label_smoothing:  # the loss shown is plain cross-entropy, as validation's
            loss = F.cross_entropy(logits.detach(), y)
        return loss.item(), int((logits.argmax(1) == y).sum())

    def _evaluate(self, step: int, epoch: float, window: list) -> Evaluation:
        val_loss, val_accuracy = evaluate_split(self.model, self.data.val)
        loss_sum, correct, seen = window
        return Evaluation(
            step, epoch, loss_sum / max(seen, 1), correct / max(seen, 1), val_loss, val_accuracy
        )

    def _finish(
        self,
        outcome: str,
        step: int,
        seconds: float,
        emit: Callable[[Event], None],
        lr: float = 0.0,
        loss: float = 0.0,
    ) -> Finished:
        if outcome == "diverged":
            finished = Finished(
                outcome,
                step,
                seconds,
                None,
                (),
                diverged_message(self.config, step, loss, lr),
            )
        else:
            logits = predict_logits(self.model, self.data.test.images)
            predicted, labels = logits.argmax(1), self.data.test.labels.cpu()
            test_accuracy = (predicted == labels).float().mean().item()
            finished = Finished(
                outcome,
                step,
                seconds,
                test_accuracy,
                tuple(per_class_accuracy(predicted, labels)),
                f"Training {outcome} after {step} steps: test accuracy {test_accuracy:.2%}.",
            )
        emit(finished)
        return finished
