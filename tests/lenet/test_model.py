"""The model: exact size, shapes, variants, and feature maps that leave the model untouched."""

from __future__ import annotations

import pytest
import torch

from lenet.config import ModelConfig
from lenet.errors import ConfigError
from lenet.explain.features import feature_maps
from lenet.model import LeNet5, count_parameters


def test_default_is_the_lecture_model_with_61706_parameters():
    model = LeNet5()
    assert count_parameters(model) == 61_706
    assert [name for name, _ in model.named_children() if not name.startswith("act")] == [
        "conv1",
        "pool1",
        "conv2",
        "pool2",
        "fc1",
        "fc2",
        "fc3",
    ]
    assert isinstance(model.act1, torch.nn.Tanh) and isinstance(model.pool1, torch.nn.MaxPool2d)


def test_logits_shape_and_variants():
    x = torch.randn(4, 1, 32, 32)
    for activation in ("tanh", "relu"):
        for pooling in ("max", "avg"):
            model = LeNet5(ModelConfig(activation=activation, pooling=pooling))
            assert model(x).shape == (4, 10)
            assert count_parameters(model) == 61_706  # pooling and activation add no weights
    colour = LeNet5(ModelConfig(in_channels=3, num_classes=5))
    assert colour(torch.randn(2, 3, 32, 32)).shape == (2, 5)
    assert count_parameters(colour) == 61_706 + 2 * 150 - 5 * 85


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"activation": "sigmoid"}, "activation must be one of tanh, relu"),
        ({"pooling": "min"}, "pooling must be one of max, avg"),
        ({"num_classes": 1}, "num_classes"),
    ],
)
def test_bad_model_config_is_refused(kwargs, fragment):
    with pytest.raises(ConfigError, match=fragment):
        ModelConfig(**kwargs)


def test_feature_maps_shapes_and_agreement_with_forward():
    model = LeNet5().eval()
    x = torch.randn(3, 1, 32, 32)
    maps = feature_maps(model, x)
    shapes = {name: tuple(t.shape) for name, t in maps.items()}
    assert shapes == {
        "conv1": (3, 6, 28, 28),
        "pool1": (3, 6, 14, 14),
        "conv2": (3, 16, 10, 10),
        "pool2": (3, 16, 5, 5),
        "flat": (3, 400),
        "fc1": (3, 120),
        "fc2": (3, 84),
        "logits": (3, 10),
        "probabilities": (3, 10),
    }
    with torch.no_grad():
        assert torch.allclose(maps["logits"], model(x), atol=1e-6)
    assert maps["conv1"].abs().max() <= 1  # after tanh
    assert torch.allclose(maps["probabilities"].sum(1), torch.ones(3))


def test_feature_maps_leave_no_hooks_and_no_grad():
    model = LeNet5()
    feature_maps(model, torch.randn(1, 1, 32, 32))
    for module in model.modules():
        assert not module._forward_hooks and not module._forward_pre_hooks
    assert all(p.grad is None for p in model.parameters())


def test_pooling_before_the_activation_is_the_same_function():
    x = torch.randn(8, 1, 32, 32)
    for activation in ("tanh", "relu"):
        model = LeNet5(ModelConfig(activation=activation))
        a = model.pool2(model.act2(model.conv2(model.pool1(model.act1(model.conv1(x))))))
        textbook = model.fc3(model.act4(model.fc2(model.act3(model.fc1(a.flatten(1))))))
        assert torch.allclose(model(x), textbook, atol=1e-6)
