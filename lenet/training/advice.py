"""What to try after a run that learned nothing or diverged: a learning rate that fits its settings.

The rates below were measured on real MNIST, seed 0, from the Quick demo preset (10,000 images,
one epoch, batch 64, ReLU, one-cycle) with one setting changed at a time (test accuracy):
- Adam and AdamW: 0.005 gave 95%, and 87-97% at batch 16 to 1024, with no schedule, step,
  cosine or plateau, and with tanh. 0.05 still gave 94%; 0.5 learned nothing (11%).
- SGD, momentum 0.9: 0.1 gave 94% (0.2 diverged). Small batches are noisier and need less: at
  batch 16, 0.02 gave 96% while 0.2 learned nothing; at batch 32, 0.05 gave 96%. Momentum m makes
  each step about 1/(1 - m) times larger, so above 0.9 the rate shrinks with 1 - m (0.99: 0.01
  gave 89%); below 0.9 plain steps gain nothing from more (momentum 0: 0.1, 69%; 0.2, 71%;
  1, nothing). One-cycle sets the momentum itself (0.85 to 0.95), whatever the settings say.
- A run of a few tens of steps learns little at any rate (40 steps: SGD 71%, Adam 87%).
- Quick demo at 0.01 (its rate since issue 25): 96.45-96.78% on seeds 0-4, where 0.005 gave
  95.27-96.20%.
The Fast preset's 0.005 is Adam's rate for runs of 1,000 steps and more (99.07-99.21% in 2 epochs
of batch 64 with label smoothing 0.1, seeds 0-4; 0.003 at batch 128 passed 99% in 4 epochs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lenet.data.mnist import VAL_SIZE

if TYPE_CHECKING:
    from lenet.config import TrainConfig

ADAM_RATE = 0.01  # Quick demo's rate
ADAM_LONG_RATE = 0.005  # Fast's rate, for runs of LONG_RUN steps and more
LONG_RUN = 1000
SGD_RATE = 0.1  # Classic's: momentum 0.9, batch 64 and up
SGD_FULL_BATCH = 64  # below it, SGD's rate shrinks with the batch
FEW_STEPS = 30  # fewer steps than this learn little at any rate
ALL_TRAINING_IMAGES = 60_000 - VAL_SIZE
NAMES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}
NOTHING = "The network learned (almost) nothing: guessing gives 10%."


@dataclass(frozen=True)
class Advice:
    """A learning rate to try (None when the rate is not the problem) and why, in plain words."""

    lr: float | None
    message: str


def run_steps(config: TrainConfig) -> int:
    """How many minibatches a run with these settings trains on."""
    images = config.train_size or ALL_TRAINING_IMAGES
    return math.ceil(min(images, ALL_TRAINING_IMAGES) / config.batch_size) * config.epochs


def good_rate(config: TrainConfig) -> float:
    """A learning rate that trains with these settings' optimizer, batch and momentum."""
    if config.optimizer != "sgd":
        return ADAM_LONG_RATE if run_steps(config) >= LONG_RUN else ADAM_RATE
    momentum = 0.9 if config.scheduler == "onecycle" else config.momentum
    rate = SGD_RATE * min(1.0, config.batch_size / SGD_FULL_BATCH)
    rate *= min(1.0, (1 - momentum) / 0.1)
    return round_down(rate)


def round_down(rate: float) -> float:
    """The largest of 1, 2, 5 times a power of ten (the page's learning rates) at most `rate`."""
    power = 10.0 ** math.floor(math.log10(rate) + 1e-9)
    step = max(s for s in (1, 2, 5) if s * power <= rate * (1 + 1e-9))
    return max(float(f"{step * power:.1g}"), 1e-4)


def advise(config: TrainConfig, diverged: bool = False) -> Advice:
    """What to try after a run with `config` diverged, or ended reading no better than guessing."""
    good, rate, name = good_rate(config), config.lr, NAMES[config.optimizer]
    if diverged:
        lower = good if rate > good else round_down(rate / 2)
        if lower >= rate:  # the smallest rate there is blew up: the rate is not the cause
            return Advice(
                None,
                "Diverged means the loss blew up. Even this smallest learning rate did, so the "
                "rate is not the cause. Try the Fast preset, then change one setting at a time.",
            )
        return Advice(
            lower,
            "Diverged means the loss blew up: each step jumped so far that the weights became "
            f"useless. For {name} with these settings, try a learning rate of {lower:g}.",
        )
    steps = run_steps(config)
    more = ", with more epochs" if steps < FEW_STEPS else ""
    if rate >= 2 * good:
        return Advice(
            good,
            f"{NOTHING} A learning rate of {rate:g} is far too high for {name}: each step "
            f"jumps too far. Try {good:g}{more}.",
        )
    if rate * 4 <= good:
        return Advice(
            good,
            f"{NOTHING} A learning rate of {rate:g} is so small for {name} that the weights "
            f"hardly moved. Try {good:g}{more}.",
        )
    if steps < FEW_STEPS:
        return Advice(
            None,
            f"{NOTHING} The run took only {steps} steps, too few to learn. Use more epochs, "
            "more images or a smaller batch.",
        )
    return Advice(None, f"{NOTHING} Try the Fast preset, then change one setting at a time.")
