"""Named training presets: the lecture's reference, the fastest route to 99%, a classroom demo."""

from __future__ import annotations

from dataclasses import dataclass

from lenet.config import ModelConfig, TrainConfig


@dataclass(frozen=True)
class Preset:
    name: str
    summary: str
    config: TrainConfig


PRESETS = {
    "classic": Preset(
        "Classic",
        "The lecture's recipe: tanh, max pooling, SGD with learning rate 0.1 and momentum 0.9, "
        "256 images a step, 15 epochs. It reached 98.8% test accuracy in the lecture.",
        TrainConfig(epochs=15, batch_size=256, optimizer="sgd", lr=0.1, momentum=0.9),
    ),
    "fast": Preset(
        "Fast",
        "The quickest way to 99% test accuracy: ReLU, AdamW, a learning rate that warms up and "
        "then glides down, 128 images a step, 4 epochs. It passes 99% in about 10 s on 2 cores.",
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
