"""Fooling the network: the smallest change of a digit that makes it read another digit.

Captum's `captum.robust` attacks, targeted: FGSM takes one step along the sign of the gradient
that raises the target's score; PGD takes many small steps, each kept within the strength. The
strength is how much any pixel may change, as a share of the whole range from black to white
(0.1: at most 25 of 255 grey levels). Like `lenet.explain.attributions.Explainer`, a `Fooler`
runs on a private frozen copy of a model, one call at a time: a shared model gets no gradients.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass

import torch
from captum.robust import FGSM, PGD
from torch.nn import functional

from lenet.model import LeNet5, private_copy

LOW, HIGH = -1.0, 1.0  # the model input's black and white: a changed digit stays a picture
METHODS = ("PGD", "FGSM")
PGD_STEPS = 20  # each at an eighth of the strength: enough to go round a corner of the score
# PGD hands each of its steps to FGSM as a fresh tensor, and Captum warns that it asked for
# its gradient: said once a step, it is the attack working as meant
warnings.filterwarnings("ignore", "Input Tensor .* did not already require gradients")
STRENGTHS = tuple(round(0.01 * k, 2) for k in range(1, 51))  # 1% to 50%: the search's grid


@dataclass(frozen=True)
class Attack:
    """One attack on one input: before and after (1, C, 32, 32) and both readings (10,)."""

    method: str
    target: int
    strength: float  # the most any pixel may change, as a share of black-to-white
    before: torch.Tensor
    after: torch.Tensor
    probs_before: torch.Tensor
    probs_after: torch.Tensor

    @property
    def radius(self) -> float:
        """The most any pixel may change, in the model input's units ([-1, 1] is 2 wide)."""
        return self.strength * (HIGH - LOW)

    @property
    def change(self) -> torch.Tensor:
        return self.after - self.before

    @property
    def fooled(self) -> bool:
        """Whether the network now reads the target."""
        return int(self.probs_after.argmax()) == self.target


class Fooler:
    """Targeted attacks on a private copy of one model; safe to share between threads."""

    def __init__(self, model: LeNet5) -> None:
        self.model = private_copy(model)
        self._lock = threading.Lock()

    def attack(self, x: torch.Tensor, target: int, strength: float, method: str = "PGD") -> Attack:
        """Change x (1, C, 32, 32) by at most `strength` a pixel towards reading `target`."""
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
        if not 0 < strength <= 1:
            raise ValueError(f"strength must be above 0 and at most 1, not {strength}")
        x = x.detach()
        radius = strength * (HIGH - LOW)  # a share of the input's range, [-1, 1]
        with self._lock:
            if method == "FGSM":
                attacker = FGSM(self.model, cross_entropy, lower_bound=LOW, upper_bound=HIGH)
                after = attacker.perturb(x, epsilon=radius, target=target, targeted=True)
            else:
                attacker = PGD(self.model, cross_entropy, lower_bound=LOW, upper_bound=HIGH)
                after = attacker.perturb(
                    x, radius, radius / 8, PGD_STEPS, target=target, targeted=True
                )
            after = after.detach()
            with torch.no_grad():
                probs = self.model(torch.cat([x, after])).softmax(1)
        return Attack(method, target, strength, x, after, probs[0], probs[1])

    def smallest_strength(self, x: torch.Tensor, target: int, method: str = "PGD") -> Attack | None:
        """The attack at the smallest strength of `STRENGTHS` that makes the network read
        `target`, found by bisection (at most 7 attacks): it fools at that strength and not at
        the one just below (1% less). None when even 50% does not."""
        strongest = self.attack(x, target, STRENGTHS[-1], method)
        if not strongest.fooled:
            return None
        low, high, best = -1, len(STRENGTHS) - 1, strongest  # STRENGTHS[high] fools
        while high - low > 1:
            middle = (low + high) // 2
            tried = self.attack(x, target, STRENGTHS[middle], method)
            if tried.fooled:
                high, best = middle, tried
            else:
                low = middle
        return best


def cross_entropy(logits: torch.Tensor, target: int) -> torch.Tensor:
    """The loss the attacks lower for `target`. Captum's default, -log(output), expects
    probabilities; LeNet-5 returns logits (its default pushed away from the target)."""
    wanted = torch.full((len(logits),), target, dtype=torch.long, device=logits.device)
    return functional.cross_entropy(logits, wanted, reduction="none")
