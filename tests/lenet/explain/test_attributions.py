"""Attributions through Captum: shapes, known properties, today's saliency, an untouched model."""

from __future__ import annotations

import copy

import pytest
import torch

from lenet.explain.attributions import BLANK, METHODS, Explainer
from lenet.explain.features import saliency
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from lenet.model import private_copy, weights_digest


@pytest.fixture(scope="module")
def shipped():
    return load_checkpoint(DEFAULT_CHECKPOINT)[0]


@pytest.fixture(scope="module")
def digit(small_mnist):
    return small_mnist.test.images[:1], int(small_mnist.test.labels[0])


@pytest.fixture(scope="module")
def found(shipped, digit):
    x, label = digit
    return Explainer(shipped).explain(x, label)


def untouched(model, weights: dict) -> bool:
    """No hooks on any module, no .grad on any parameter, the same weights."""
    hooks = any(
        m._forward_hooks or m._forward_pre_hooks or m._backward_hooks for m in model.modules()
    )
    state = model.state_dict()
    return (
        not hooks
        and all(p.grad is None for p in model.parameters())
        and all(torch.equal(state[k], v) for k, v in weights.items())
    )


def test_every_map_is_the_model_inputs_size_and_finite(found):
    maps = found.maps()
    assert list(maps) == list(METHODS)
    for name, heat in maps.items():
        assert heat.shape == (32, 32), name
        assert torch.isfinite(heat).all() and heat.abs().sum() > 0, name


def test_integrated_gradients_add_up_to_the_score_gain(shipped, digit, found):
    x, label = digit
    with torch.no_grad():
        gain = (shipped(x)[0, label] - shipped(torch.full_like(x, BLANK))[0, label]).item()
    assert found.integrated_gradients.sum().item() == pytest.approx(gain, rel=0.05)
    assert found.ig_delta < 0.05 * abs(gain)


def test_grad_cam_is_never_negative(found):
    assert (found.grad_cam >= 0).all() and found.grad_cam.max() > 0


def test_occlusion_of_a_blank_area_is_zero(found):
    # MNIST digits leave their corners blank: blanking a blank window changes nothing, but for
    # float rounding (the windows' batch and the lone digit may be summed in another order, by
    # torch's threads): 1.9e-6 measured, against 2.1 at the digit's strongest window
    assert found.occlusion[:4, :4].abs().max() <= 1e-5
    assert found.occlusion.abs().max() > 0


def test_saliency_is_todays_gradient_times_input(shipped, digit):
    x, label = digit
    for target in (label, (label + 3) % 10):
        plain = x.detach().clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(shipped(plain)[0, target], plain)
        expected = (grad * plain).detach()[0].sum(0)
        heat = saliency(shipped, x, target)
        assert heat.shape == (32, 32)
        assert torch.allclose(heat, expected, atol=1e-6)


def test_the_explainers_map_is_saliency_too(shipped, digit, found):
    assert torch.allclose(found.saliency, saliency(shipped, digit[0], digit[1]), atol=1e-6)


def test_the_shared_model_is_untouched(shipped, digit):
    x, label = digit
    weights = copy.deepcopy(shipped.state_dict())
    explainer = Explainer(shipped)
    explainer.explain(x, label)
    explainer.explain(x, (label + 1) % 10)
    saliency(shipped, x, label)
    assert untouched(shipped, weights)
    assert all(p.requires_grad for p in shipped.parameters())  # still trainable as it was
    assert untouched(explainer.model, explainer.model.state_dict())  # Captum removed its hooks


def test_the_private_copy_is_frozen_and_equal(shipped):
    twin = private_copy(shipped)
    assert twin is not shipped and not twin.training
    assert not any(p.requires_grad for p in twin.parameters())
    assert weights_digest(twin) == weights_digest(shipped)


def test_the_digest_follows_the_weights(shipped):
    changed = copy.deepcopy(shipped)
    with torch.no_grad():
        changed.conv1.bias[0] += 1e-3
    assert weights_digest(changed) != weights_digest(shipped)
