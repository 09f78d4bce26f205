"""Named training presets: the lecture's reference, the fastest route to 99%, a classroom demo.

Fast and Quick demo's recipes were measured on seeds 0-4 (benchmarks/README.md, "More runs a
minute"): Fast passes 99.0% test accuracy within 2 epochs on each (99.07-99.21% at the end; the
earlier 4-epoch recipe cut to 2 epochs ended at 98.59-98.88%), Quick demo ends at 96.45-96.78%
(95.27-96.20% at its earlier rate, 0.005), in the same steps.
"""

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
        "then glides down, 64 images a step, targets softened a little (label smoothing 0.1), 2 "
        "epochs. It passes 99% in about 10 s on 2 cores.",
        TrainConfig(
            epochs=2,
            batch_size=64,
            optimizer="adamw",
            lr=5e-3,
            momentum=0.9,
            label_smoothing=0.1,
            scheduler="onecycle",
            evals_per_epoch=2,
            model=ModelConfig(activation="relu"),
        ),
    ),
    "quick": Preset(
        "Quick demo",
        "A 10,000-image subset for one epoch: done in a few seconds, about 96.5% test accuracy.",
        TrainConfig(
            epochs=1,
            batch_size=64,
            optimizer="adamw",
            lr=1e-2,
            momentum=0.9,
            scheduler="onecycle",
            train_size=10_000,
            evals_per_epoch=8,
            model=ModelConfig(activation="relu"),
        ),
    ),
}
