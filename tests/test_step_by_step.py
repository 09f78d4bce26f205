"""Step-by-step training: one optimizer step per call, the Trainer's batches, reset, the end."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F

from lenet.errors import ConfigError
from lenet.presets import PRESETS
from lenet.step_by_step import StepByStep, as_pixels
from lenet.train import BatchEnd, TrainConfig, Trainer, build_model

CLASSIC = dataclasses.replace(PRESETS["classic"].config, train_size=1000, device="cpu")


def weights(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def first_trainer_batch(config: TrainConfig, data) -> tuple[torch.Tensor, torch.Tensor]:
    split = data.train.head(config.train_size)
    generator = torch.Generator().manual_seed(config.seed)
    return next(split.batches(config.batch_size, generator))


@pytest.mark.parametrize("seed", [0, 7])
def test_the_first_batch_is_the_trainers_first_batch(small_mnist, seed):
    config = dataclasses.replace(CLASSIC, seed=seed)
    stepper = StepByStep(config, small_mnist)
    result = stepper.step()
    order = torch.randperm(1000, generator=torch.Generator().manual_seed(seed))
    assert torch.equal(result.indices, order[: config.batch_size])
    x, y = first_trainer_batch(config, small_mnist)
    assert torch.equal(small_mnist.train.images[result.indices], x)
    assert torch.equal(result.labels, y)


def test_one_call_is_exactly_one_optimizer_step_equal_to_a_manual_one(small_mnist):
    config = dataclasses.replace(CLASSIC, optimizer="adam", lr=1e-3)
    stepper = StepByStep(config, small_mnist)
    before = weights(stepper.model)
    result = stepper.step()
    after = weights(stepper.model)
    assert all(not torch.equal(before[k], after[k]) for k in before)  # every parameter moved
    assert {int(s["step"]) for s in stepper.optimizer.state.values()} == {1}  # Adam's count
    manual = build_model(config)  # same seed: the same initial weights
    assert all(torch.equal(v, before[k]) for k, v in manual.state_dict().items())
    optimizer = torch.optim.Adam(manual.parameters(), lr=1e-3)
    x, y = first_trainer_batch(config, small_mnist)
    loss = F.cross_entropy(manual(x), y)
    loss.backward()
    optimizer.step()
    assert loss.item() == pytest.approx(result.loss_before, rel=1e-5)
    for name, value in manual.state_dict().items():
        torch.testing.assert_close(after[name], value, rtol=1e-5, atol=1e-6)


def test_a_normal_learning_rate_lowers_the_batch_loss_on_the_first_step(small_mnist):
    result = StepByStep(CLASSIC, small_mnist).step()  # SGD lr 0.1, momentum 0.9 (Classic)
    assert CLASSIC.lr == 0.1 and CLASSIC.optimizer == "sgd"
    assert result.loss_after < result.loss_before
    assert result.step == 1 and result.epoch == 1 and result.lr == 0.1
    assert result.before.shape == result.after.shape == (CLASSIC.batch_size,)
    assert torch.equal(result.changed, result.before != result.after)


def test_steps_land_on_the_trainers_weights_across_an_epoch(small_mnist):
    config = dataclasses.replace(
        PRESETS["fast"].config, epochs=2, batch_size=300, train_size=1000, device="cpu"
    )  # 4 steps an epoch, the last of 100 images; AdamW with a one-cycle rate
    trainer = Trainer(config, small_mnist, snapshots=False)

    def stop_after_six(event) -> None:
        if isinstance(event, BatchEnd) and event.step == 6:
            trainer.stop()

    assert trainer.run(stop_after_six).step == 6
    stepper = StepByStep(config, small_mnist)
    results = [stepper.step() for _ in range(6)]
    assert [r.epoch for r in results] == [1, 1, 1, 1, 2, 2]
    assert [len(r.indices) for r in results] == [300, 300, 300, 100, 300, 300]
    assert sorted(torch.cat([r.indices for r in results[:4]]).tolist()) == list(range(1000))
    for name, value in trainer.model.state_dict().items():
        torch.testing.assert_close(stepper.model.state_dict()[name], value, rtol=1e-5, atol=1e-6)


def test_reset_restores_the_initial_weights_and_the_first_batch(small_mnist):
    stepper = StepByStep(CLASSIC, small_mnist)
    initial = weights(stepper.model)
    first = stepper.step()
    second = stepper.step()
    assert not torch.equal(first.indices, second.indices)
    stepper.reset()
    assert stepper.steps == 0 and stepper.last is None
    assert all(torch.equal(v, initial[k]) for k, v in stepper.model.state_dict().items())
    again = stepper.step()
    assert torch.equal(again.indices, first.indices)
    assert again.loss_before == first.loss_before and again.loss_after == first.loss_after


def test_the_run_ends_after_its_steps_and_a_too_large_batch_is_refused(small_mnist):
    config = dataclasses.replace(CLASSIC, epochs=1, batch_size=512)  # 2 steps of 1,000 images
    stepper = StepByStep(config, small_mnist)
    stepper.step()
    stepper.step()
    assert stepper.finished
    with pytest.raises(ConfigError, match="2 steps"):
        stepper.step()
    with pytest.raises(ConfigError, match="larger than the training set"):
        StepByStep(dataclasses.replace(CLASSIC, batch_size=1024), small_mnist)


def test_as_pixels_maps_the_model_range_to_grey_levels():
    images = torch.tensor([-1.0, 0.0, 1.0, 1.5]).reshape(1, 1, 2, 2)
    assert as_pixels(images).tolist() == [[[0, 128], [255, 255]]]
