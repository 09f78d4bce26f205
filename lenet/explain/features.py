"""Looks inside a LeNet-5: every intermediate activation, computed without hooks.

Running the layers one by one (instead of registering forward hooks) leaves the model untouched,
so one model in `eval()` mode can serve many users at once.
"""

from __future__ import annotations

import torch

from lenet.model import LeNet5


@torch.no_grad()
def feature_maps(model: LeNet5, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Activations after each nonlinearity and pooling for input x (N, C, 32, 32).

    Keys, in order: conv1 (N,6,28,28), pool1 (N,6,14,14), conv2 (N,16,10,10), pool2 (N,16,5,5),
    flat (N,400), fc1 (N,120), fc2 (N,84), logits (N,10), probabilities (N,10).
    """
    maps: dict[str, torch.Tensor] = {}
    maps["conv1"] = model.act1(model.conv1(x))
    maps["pool1"] = model.pool1(maps["conv1"])
    maps["conv2"] = model.act2(model.conv2(maps["pool1"]))
    maps["pool2"] = model.pool2(maps["conv2"])
    maps["flat"] = maps["pool2"].flatten(1)
    maps["fc1"] = model.act3(model.fc1(maps["flat"]))
    maps["fc2"] = model.act4(model.fc2(maps["fc1"]))
    maps["logits"] = model.fc3(maps["fc2"])
    maps["probabilities"] = maps["logits"].softmax(dim=1)
    return maps


def saliency(model: LeNet5, x: torch.Tensor, target: int) -> torch.Tensor:
    """Gradient x input for class `target`: (32, 32), how much each pixel, as it is, pushes that
    class's score up (positive) or down. Captum's Saliency takes the input's gradient alone, so
    the shared model's parameters get no .grad, no hook is left and many users can ask at once."""
    # Captum loads only when it is asked for
    from lenet.explain.attributions import input_x_gradient

    return input_x_gradient(model, x, target)
