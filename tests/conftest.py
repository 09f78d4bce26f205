"""Shared fixtures: the small real-MNIST fixture, the full set when present, trained models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lenet.data import MNIST, file_problems, load_mnist, load_raw_folder, raw_dir
from lenet.model import ModelConfig
from lenet.train import TrainConfig, Trainer

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "mnist-small"
IN_CI = os.environ.get("CI") == "true"


@pytest.fixture(scope="session")
def small_mnist() -> MNIST:
    """5,000 train / 1,000 validation / 1,000 test real MNIST images (tests/fixtures)."""
    return load_raw_folder(FIXTURE_DIR, val_size=1000)


@pytest.fixture(scope="session")
def full_mnist() -> MNIST:
    """The real MNIST set; `make test` fetches it. Outside CI a missing set skips the test."""
    if file_problems(raw_dir()):
        if IN_CI:
            pytest.fail("MNIST is missing under CI: `make test` should have fetched it")
        pytest.skip("MNIST is not in data/MNIST/raw (run `python -m lenet.data`)")
    return load_mnist(fetch=False)


FIXTURE_RECIPE = TrainConfig(
    epochs=3,
    batch_size=64,
    optimizer="adamw",
    lr=3e-3,
    scheduler="onecycle",
    device="cpu",
    model=ModelConfig(activation="relu"),
)


@pytest.fixture(scope="session")
def fixture_model(small_mnist):
    """A model trained briefly on the fixture (about 95% on its test images), in eval mode."""
    trainer = Trainer(FIXTURE_RECIPE, small_mnist)
    finished = trainer.run()
    assert finished.outcome == "done"
    return trainer.model.eval()
