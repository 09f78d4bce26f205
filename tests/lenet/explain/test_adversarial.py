"""Fooling the network (issue 27, point 5): Captum's FGSM and PGD, targeted, change a known digit
within the strength into the digit asked for, and the shared model is left untouched."""

from __future__ import annotations

import copy

import pytest
import torch

from lenet.explain.adversarial import STRENGTHS, Fooler
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from tests.lenet.explain.test_attributions import untouched

# Captum's PGD asks for each step's gradient itself, and says so (the module silences it too)
pytestmark = pytest.mark.filterwarnings("ignore:Input Tensor")


@pytest.fixture(scope="module")
def shipped():
    return load_checkpoint(DEFAULT_CHECKPOINT)[0]


@pytest.fixture(scope="module")
def seven(small_mnist):
    """The fixture's first test digit, a 7 the shipped model reads at once."""
    assert int(small_mnist.test.labels[0]) == 7
    return small_mnist.test.images[:1].cpu()


@pytest.mark.parametrize("target", [8, 3, 1])
def test_pgd_turns_a_seven_into_the_digit_asked_for_within_the_strength(shipped, seven, target):
    before = copy.deepcopy(shipped.state_dict())
    attack = Fooler(shipped).attack(seven, target, 0.3, "PGD")
    assert int(attack.probs_before.argmax()) == 7 and float(attack.probs_before[7]) > 0.9
    assert attack.fooled and int(attack.probs_after.argmax()) == target
    assert float(attack.change.abs().max()) <= 2 * 0.3 + 1e-6  # the input's range is 2 wide
    assert float(attack.after.min()) >= -1 and float(attack.after.max()) <= 1
    with torch.no_grad():  # the readings are the shared model's own on the two pictures
        again = shipped(attack.after).softmax(1)[0]
    assert torch.allclose(again, attack.probs_after, atol=1e-6)
    assert untouched(shipped, before)


def test_a_weak_attack_does_not_fool_it(shipped, seven):
    attack = Fooler(shipped).attack(seven, 8, 0.01, "PGD")
    assert not attack.fooled and int(attack.probs_after.argmax()) == 7


def test_the_smallest_strength_fools_and_the_one_below_does_not(shipped, seven):
    fooler = Fooler(shipped)
    for method in ("PGD", "FGSM"):
        smallest = fooler.smallest_strength(seven, 3, method)
        assert smallest is not None and smallest.fooled and smallest.target == 3
        index = STRENGTHS.index(smallest.strength)
        if index:
            assert not fooler.attack(seven, 3, STRENGTHS[index - 1], method).fooled
    pgd, fgsm = (fooler.smallest_strength(seven, 3, m).strength for m in ("PGD", "FGSM"))
    assert pgd <= fgsm  # many small steps need no more than one big one


def test_fgsm_is_one_step_of_the_whole_strength(shipped, seven):
    attack = Fooler(shipped).attack(seven, 3, 0.05, "FGSM")
    inside = (seven > -0.9) & (seven < 0.9)  # where no bound clips the step
    moved = attack.change[inside].abs()
    assert torch.allclose(moved, torch.full_like(moved, 0.1), atol=1e-5)


def test_bad_arguments_are_refused(shipped, seven):
    with pytest.raises(ValueError, match="method must be one of PGD, FGSM"):
        Fooler(shipped).attack(seven, 3, 0.1, "CW")
    with pytest.raises(ValueError, match="strength must be above 0"):
        Fooler(shipped).attack(seven, 3, 0.0)
