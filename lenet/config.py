"""The settings of a model and of a training run, as plain data: no torch here.

`ModelConfig` and `TrainConfig` are what the command line parses, presets name, checkpoints and
the run store keep; the names each setting may take are here too. Importing this costs
milliseconds, so `python -m lenet.train --help` or a refused flag answers before PyTorch (about
2 s) is imported. `lenet.model` builds the layers these names stand for; `lenet.training` the
optimizers, schedules and devices.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

from lenet.errors import ConfigError

ACTIVATIONS = ("tanh", "relu")
POOLINGS = ("max", "avg")
OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULERS = ("none", "step", "cosine", "onecycle", "plateau")
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class ModelConfig:
    activation: str = "tanh"  # tanh | relu
    pooling: str = "max"  # max | avg
    in_channels: int = 1  # 3 for colour data
    num_classes: int = 10

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ConfigError(
                f"activation must be one of {', '.join(ACTIVATIONS)}, not {self.activation!r}"
            )
        if self.pooling not in POOLINGS:
            raise ConfigError(f"pooling must be one of {', '.join(POOLINGS)}, not {self.pooling!r}")
        if self.in_channels < 1 or self.num_classes < 2:
            raise ConfigError("in_channels must be at least 1 and num_classes at least 2")


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 15
    batch_size: int = 256
    optimizer: str = "sgd"  # sgd | adam | adamw
    lr: float = 0.1
    momentum: float = 0.9  # sgd only
    nesterov: bool = False  # sgd only
    weight_decay: float = 0.0
    # a share of each image's target spread over the other digits: 0.1 trains Fast to 99% sooner
    label_smoothing: float = 0.0
    scheduler: str = "none"  # none | step | cosine | onecycle | plateau
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    train_size: int | None = None  # first N training images; None = all 54,000
    evals_per_epoch: int = 1
    # the class's own digits learned beside MNIST (`lenet.data.class_set.learning_part`): the
    # version of the set they came from (`lenet.store.digits`); None: MNIST only
    class_digits: str | None = None
    model: ModelConfig = field(default_factory=ModelConfig)

    def __post_init__(self) -> None:
        named_set = isinstance(self.class_digits, str) and self.class_digits != ""
        checks = [
            (self.epochs >= 1, "epochs must be at least 1"),
            (self.batch_size >= 1, "batch size must be at least 1"),
            (self.optimizer in OPTIMIZERS, f"optimizer must be one of {', '.join(OPTIMIZERS)}"),
            (self.scheduler in SCHEDULERS, f"scheduler must be one of {', '.join(SCHEDULERS)}"),
            (self.device in DEVICES, f"device must be one of {', '.join(DEVICES)}"),
            (math.isfinite(self.lr) and self.lr > 0, "learning rate must be a positive number"),
            (0 <= self.momentum < 1, "momentum must be in [0, 1)"),
            (self.weight_decay >= 0, "weight decay must be 0 or more"),
            (0 <= self.label_smoothing < 1, "label smoothing must be in [0, 1)"),
            (self.train_size is None or self.train_size >= 1, "train size must be at least 1"),
            (self.evals_per_epoch >= 1, "evaluations per epoch must be at least 1"),
            (
                self.class_digits is None or named_set,
                "class digits must name a version of the class's set, or be None",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """Inverse of `to_dict`; unknown keys are ignored (checkpoints from newer versions)."""
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in values.items() if k in known and k != "model"}
        model = ModelConfig(**values.get("model", {}))
        return cls(**kwargs, model=model)
