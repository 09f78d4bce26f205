"""Learning from the class's digits beside MNIST (issue 27, point 3): which fifth is held out,
how often the learned digits repeat, the joined split, and a run that reads the class's hand
better for it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from lenet.config import TrainConfig
from lenet.data.class_set import (
    MAX_REPEATS,
    Joined,
    held_out,
    learning_part,
    part_size,
    repeats,
)
from lenet.data.mnist import Split, to_model_input
from lenet.errors import ConfigError, DataError
from lenet.training.trainer import Trainer
from tests.conftest import FIXTURE_RECIPE


def test_a_digit_s_id_decides_its_fifth_whatever_the_set_around_it():
    assert held_out([5, 6, 10, 11, 15]).tolist() == [True, False, True, False, True]
    # the same digit keeps its part when others come and go
    assert held_out([10])[0] == held_out([1, 2, 10, 99])[2]


def test_the_learned_digits_repeat_to_about_a_twentieth_of_an_epoch():
    assert repeats(200, 54_000) == 14  # 2,800 images beside 54,000: 4.9%
    assert repeats(400, 4_000) == 1  # already a tenth: once each
    assert repeats(3, 54_000) == MAX_REPEATS  # a handful is not learned by heart
    assert repeats(0, 54_000) == 0


def test_a_set_larger_than_a_tenth_of_the_epoch_is_sampled_down_seeded():
    assert part_size(240, 10_000) == (240, 2)
    assert part_size(16_000, 10_000) == (1_000, 1)  # a tenth of a Quick demo's epoch
    assert part_size(16_000, 54_000) == (5_400, 1)
    images = np.zeros((3000, 28, 28), np.uint8)
    images[:, 10:18, 12:16] = 255
    labels = np.arange(3000) % 10
    part = learning_part(images, labels, mnist_images=10_000, seed=3)
    assert len(part) == 1000
    again = learning_part(images, labels, mnist_images=10_000, seed=3)
    other = learning_part(images, labels, mnist_images=10_000, seed=4)
    assert part.labels.equal(again.labels) and not part.labels.equal(other.labels)


def test_the_learning_part_is_model_input_repeated_and_refuses_an_empty_set():
    images = np.zeros((3, 28, 28), np.uint8)
    images[:, 10:18, 12:16] = 255
    part = learning_part(images, np.array([1, 7, 7]), mnist_images=54_000)
    assert part.images.shape == (3 * MAX_REPEATS, 1, 32, 32)
    assert part.labels.tolist()[:6] == [1, 7, 7, 1, 7, 7]
    assert float(part.images.min()) == -1.0 and float(part.images.max()) == pytest.approx(1.0)
    with pytest.raises(DataError, match="no digits to learn from yet: add some on the Draw page"):
        learning_part(images[:0], np.array([], np.int64), mnist_images=54_000)


def test_a_joined_split_gives_every_image_of_both_once_an_epoch_in_a_seeded_order():
    first = Split(torch.arange(10.0).view(10, 1, 1, 1), torch.arange(10))
    second = Split(torch.arange(100.0, 104.0).view(4, 1, 1, 1), torch.arange(100, 104))
    joined = Joined(first, second)
    assert len(joined) == 14

    def epoch(seed):
        return [
            (x.flatten().tolist(), y.tolist())
            for x, y in joined.batches(5, torch.Generator().manual_seed(seed))
        ]

    batches = epoch(0)
    assert [len(y) for _, y in batches] == [5, 5, 4]
    seen = sorted(label for _, y in batches for label in y)
    assert seen == [*range(10), *range(100, 104)]
    for x, y in batches:  # each image keeps its label
        assert [int(v) % 100 for v in x] == [label % 100 for label in y]
    assert epoch(0) == batches and epoch(1) != batches
    ordered = [y.tolist() for _, y in joined.batches(14)]
    assert ordered == [[*range(10), *range(100, 104)]]


def test_a_config_names_the_set_version_it_learned_from():
    config = TrainConfig(class_digits="3f2a9c01b7de")
    assert TrainConfig.from_dict(config.to_dict()).class_digits == "3f2a9c01b7de"
    assert TrainConfig.from_dict({"epochs": 1}).class_digits is None  # older checkpoints
    for bad in ("", 5):
        with pytest.raises(ConfigError, match="class digits must name a version"):
            TrainConfig(class_digits=bad)


def held_accuracy(model, split: Split) -> float:
    with torch.no_grad():
        return float((model.eval()(split.images).argmax(1) == split.labels).float().mean())


@pytest.mark.slow
def test_learning_from_a_class_that_writes_mirrored_reads_its_held_out_fifth_better(
    small_mnist,
):
    """A class whose hand MNIST does not know (every digit mirrored): a run that learned four
    fifths of its digits reads the held-out fifth far better than the same run without them."""
    digits = small_mnist.test_digits[:500, :, ::-1].copy()
    labels = small_mnist.test.labels[:500].numpy()
    ids = np.arange(1, 501)
    kept = held_out(ids)
    test = Split(to_model_input(torch.from_numpy(digits[kept])), torch.from_numpy(labels[kept]))
    config = dataclasses.replace(FIXTURE_RECIPE, epochs=2)
    plain = Trainer(config, small_mnist, snapshots=False)
    plain.run()
    extra = learning_part(digits[~kept], labels[~kept], mnist_images=len(small_mnist.train))
    mixed = Trainer(
        dataclasses.replace(config, class_digits="v1"), small_mnist, snapshots=False, extra=extra
    )
    started = []
    finished = mixed.run(lambda event: started.append(event) if not started else None)
    assert started[0].train_size == len(small_mnist.train) + 400  # 400 learned, once each
    assert finished.outcome == "done" and finished.test_accuracy > 0.85  # MNIST still read
    before, after = held_accuracy(plain.model, test), held_accuracy(mixed.model, test)
    print(f"mirrored held-out fifth: {before:.1%} without, {after:.1%} with")
    assert after > before + 0.15
