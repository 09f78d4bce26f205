"""The trainer on the real-MNIST fixture: events, learning, determinism, control, divergence."""

from __future__ import annotations

import copy
import dataclasses
import threading
import time

import pytest
import torch
import torch.nn.functional as F

from lenet.config import SCHEDULERS, ModelConfig, TrainConfig
from lenet.errors import ConfigError
from lenet.training.presets import PRESETS
from lenet.training.trainer import (
    BatchEnd,
    Evaluation,
    Finished,
    Started,
    Trainer,
    eval_steps,
    event_to_dict,
)
from tests.conftest import FIXTURE_RECIPE

TINY = dataclasses.replace(FIXTURE_RECIPE, epochs=1, train_size=1000, batch_size=100)


def run_collect(config: TrainConfig, data) -> list:
    events: list = []
    Trainer(config, data).run(events.append)
    return events


def test_event_order_and_counts(small_mnist):
    config = dataclasses.replace(TINY, epochs=2, evals_per_epoch=3)
    events = run_collect(config, small_mnist)
    assert isinstance(events[0], Started) and events[0].total_steps == 20
    assert isinstance(events[-1], Finished) and events[-1].outcome == "done"
    kinds = [type(e).__name__ for e in events[1:-1]]
    assert kinds.count("BatchEnd") == 20 and kinds.count("Evaluation") == 6
    steps = [e.step for e in events if isinstance(e, BatchEnd)]
    assert steps == list(range(1, 21))
    evaluations = [e for e in events if isinstance(e, Evaluation)]
    assert [e.step for e in evaluations] == [3, 7, 10, 13, 17, 20]
    for evaluation in evaluations:  # each evaluation follows the batch it closes
        before = events[events.index(evaluation) - 1]
        assert isinstance(before, BatchEnd) and before.step == evaluation.step
    assert evaluations[-1].epoch == pytest.approx(2.0)
    assert all(
        isinstance(v, (int, float, str, tuple, type(None)))
        for e in events
        for v in event_to_dict(e).values()
    )


def test_loss_goes_down_and_the_model_learns(small_mnist):
    events = run_collect(FIXTURE_RECIPE, small_mnist)
    losses = [e.loss for e in events if isinstance(e, BatchEnd)]
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    assert first > 2.0 and last < 0.3
    finished = events[-1]
    assert finished.test_accuracy > 0.93
    assert len(finished.per_class_accuracy) == 10 and min(finished.per_class_accuracy) > 0.8
    assert events[-2].val_accuracy > 0.93


def test_same_seed_same_losses_other_seed_other_losses(small_mnist):
    def losses(seed: int) -> list[float]:
        config = dataclasses.replace(TINY, seed=seed)
        return [e.loss for e in run_collect(config, small_mnist) if isinstance(e, BatchEnd)]

    assert losses(7) == losses(7)
    assert losses(7) != losses(8)


def test_every_optimizer_and_scheduler_trains(small_mnist):
    for optimizer, lr in (("sgd", 0.05), ("adam", 2e-3), ("adamw", 2e-3)):
        for scheduler in SCHEDULERS:
            config = dataclasses.replace(
                TINY, optimizer=optimizer, lr=lr, scheduler=scheduler, evals_per_epoch=2
            )
            events = run_collect(config, small_mnist)
            assert events[-1].outcome == "done", (optimizer, scheduler)
            lrs = [e.lr for e in events if isinstance(e, BatchEnd)]
            if scheduler in ("step", "cosine", "onecycle"):
                assert len(set(lrs)) > 1, (optimizer, scheduler)
            if scheduler == "none":
                assert set(lrs) == {lr}


def test_pause_resume_and_stop_from_another_thread(small_mnist):
    config = dataclasses.replace(TINY, epochs=50, train_size=500, batch_size=50)
    trainer = Trainer(config, small_mnist)
    steps: list[int] = []
    started = threading.Event()

    def listen(event) -> None:
        if isinstance(event, BatchEnd):
            steps.append(event.step)
            if event.step == 3:
                started.set()

    results: list[Finished] = []
    worker = threading.Thread(target=lambda: results.append(trainer.run(listen)))
    worker.start()
    assert started.wait(30)
    trainer.pause()
    paused_at = len(steps)
    time.sleep(0.3)
    assert trainer.paused and len(steps) <= paused_at + 1  # honoured within one batch
    frozen = len(steps)
    time.sleep(0.3)
    assert len(steps) == frozen
    trainer.resume()
    deadline = time.time() + 30
    while len(steps) < frozen + 3 and time.time() < deadline:
        time.sleep(0.01)
    assert len(steps) >= frozen + 3
    trainer.stop()
    worker.join(30)
    assert not worker.is_alive()
    finished = results[0]
    assert finished.outcome == "stopped" and finished.step == steps[-1]
    assert finished.step < trainer.total_steps
    assert finished.test_accuracy is not None


def test_stop_while_paused_ends_the_run(small_mnist):
    trainer = Trainer(dataclasses.replace(TINY, epochs=20), small_mnist)
    trainer.pause()
    results: list[Finished] = []
    worker = threading.Thread(target=lambda: results.append(trainer.run()))
    worker.start()
    time.sleep(0.2)
    trainer.stop()
    worker.join(30)
    assert results[0].outcome == "stopped" and results[0].step == 0


def test_divergence_is_an_outcome_with_the_step_and_advice(small_mnist):
    config = dataclasses.replace(TINY, optimizer="sgd", lr=1e4, momentum=0.9, scheduler="none")
    events = run_collect(config, small_mnist)
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.outcome == "diverged"
    assert finished.test_accuracy is None
    assert f"step {finished.step}" in finished.message
    # the advice's rate for the settings' optimizer (lenet.training.advice), not a tenth of the rate
    assert "Try 0.1." in finished.message and "too high" in finished.message
    assert finished.step < 10


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch size"),
        ({"optimizer": "rmsprop"}, "optimizer must be one of sgd, adam, adamw"),
        ({"scheduler": "warmup"}, "scheduler"),
        ({"lr": -1.0}, "learning rate"),
        ({"lr": float("nan")}, "learning rate"),
        ({"momentum": 1.0}, "momentum"),
        ({"weight_decay": -0.1}, "weight decay"),
        ({"device": "tpu"}, "device"),
        ({"train_size": 0}, "train size"),
        ({"evals_per_epoch": 0}, "evaluations"),
    ],
)
def test_bad_train_config_is_refused(kwargs, fragment):
    with pytest.raises(ConfigError, match=fragment):
        TrainConfig(**kwargs)


def test_batch_larger_than_the_training_subset_is_refused(small_mnist):
    with pytest.raises(ConfigError, match="batch size 512 is larger than the training set"):
        Trainer(dataclasses.replace(TINY, train_size=300, batch_size=512), small_mnist)


def test_config_round_trips_through_a_dict():
    config = TrainConfig(epochs=3, model=ModelConfig(activation="relu", pooling="avg"))
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert TrainConfig.from_dict({**config.to_dict(), "from_the_future": 1}) == config


def test_eval_steps_spread_over_the_epoch():
    assert eval_steps(10, 1) == {10}
    assert eval_steps(10, 4) == {2, 5, 8, 10}
    assert eval_steps(3, 8) == {1, 2, 3}


def test_presets_are_valid_and_named():
    assert set(PRESETS) == {"classic", "fast", "quick"}
    classic = PRESETS["classic"].config
    assert (
        classic.model.activation,
        classic.model.pooling,
        classic.optimizer,
        classic.lr,
        classic.batch_size,
    ) == ("tanh", "max", "sgd", 0.1, 256)
    assert PRESETS["quick"].config.train_size == 10_000 and PRESETS["quick"].config.epochs == 1


@pytest.mark.slow
def test_one_epoch_on_full_mnist_reaches_97_percent(full_mnist):
    config = TrainConfig(epochs=1, device="cpu")  # the classic recipe, one epoch
    finished = Trainer(config, full_mnist).run()
    assert finished.outcome == "done" and finished.test_accuracy >= 0.97


@pytest.mark.slow
def test_quick_demo_passes_96_percent_on_five_seeds(full_mnist):
    # issue 25's recipe: AdamW 0.01 (was 0.005: 95.27-96.20%); measured 96.45-96.78%
    accuracies = [
        Trainer(dataclasses.replace(PRESETS["quick"].config, seed=seed, device="cpu"), full_mnist)
        .run()
        .test_accuracy
        for seed in range(5)
    ]
    assert min(accuracies) >= 0.96, accuracies


@pytest.mark.slow
def test_fast_passes_99_percent_within_its_two_epochs(full_mnist):
    # seed 0 here; seeds 0-4 in benchmarks/epoch_speed.py (`epochs_to_99`): 99.07-99.21% at the end
    config = dataclasses.replace(PRESETS["fast"].config, device="cpu")
    assert config.epochs == 2 and config.label_smoothing == 0.1
    finished = Trainer(config, full_mnist).run()
    assert finished.outcome == "done" and finished.test_accuracy >= 0.99, finished.test_accuracy


def test_label_smoothing_teaches_while_the_loss_shown_stays_plain(small_mnist):
    config = dataclasses.replace(FIXTURE_RECIPE, epochs=1, train_size=640, label_smoothing=0.1)
    smoothed = Trainer(config, small_mnist, snapshots=False)
    start = copy.deepcopy(smoothed.model)
    losses = []
    smoothed.run(lambda e: losses.append(e.loss) if isinstance(e, BatchEnd) else None)
    x, y = next(smoothed.train_split.batches(64, torch.Generator().manual_seed(config.seed)))
    with torch.no_grad():
        logits = start(x)
    assert losses[0] == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-5)
    # near-uniform logits at the start: the two differ by ~2e-4 of their size
    assert losses[0] != pytest.approx(
        F.cross_entropy(logits, y, label_smoothing=0.1).item(), rel=2e-5
    )
    plain = Trainer(dataclasses.replace(config, label_smoothing=0.0), small_mnist, snapshots=False)
    plain.run()
    assert not torch.equal(plain.model.fc3.weight, smoothed.model.fc3.weight)  # it learned apart
    with pytest.raises(ConfigError, match="label smoothing"):
        dataclasses.replace(config, label_smoothing=1.0)
