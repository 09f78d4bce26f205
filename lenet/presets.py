"""Named training presets: the lecture's reference, the fastest route to 99%, a classroom demo."""

from __future__ import annotations

from dataclasses import dataclass

from lenet.model import ModelConfig
from lenet.train import TrainConfig


@dataclass(frozen=True)
class Preset:
    name: str
    summary: str
    config: TrainConfig


PRESETS = {
    "classic": Preset(
        "Classic",
        "The lecture's reference: tanh, max-pool, SGD lr 0.1 momentum 0.9, batch 256, 15 epochs "
        "(98.8% test accuracy in the lecture).",
        TrainConfig(epochs=15, batch_size=256, optimizer="sgd", lr=0.1, momentum=0.9),
    ),
    "fast": Preset(
        "Fast",
        "The quickest route to 99% test accuracy: ReLU, AdamW with a one-cycle learning rate, "
        "batch 128, 4 epochs (99% after about 10 s; all 4 epochs about 12 s on 2 CPU cores).",
        TrainConfig(
            epochs=4,
            batch_size=128,
            optimizer="adamw",
            lr=3e-3,
            momentum=0.9,
            scheduler="onecycle",
            evals_per_epoch=2,
            model=ModelConfig(activation="relu"),
        ),
    ),
    "quick": Preset(
        "Quick demo",
        "A 10,000-image subset for one epoch: done in a few seconds, about 95% test accuracy.",
        TrainConfig(
            epochs=1,
            batch_size=64,
            optimizer="adamw",
            lr=5e-3,
            momentum=0.9,
            scheduler="onecycle",
            train_size=10_000,
            evals_per_epoch=8,
            model=ModelConfig(activation="relu"),
        ),
    ),
}
