"""LeNet-5 as in the lecture: two 5x5 convolutions with pooling, three fully connected layers."""

from __future__ import annotations

import copy
import hashlib

import torch
from torch import nn

from lenet.config import ACTIVATIONS as ACTIVATION_NAMES
from lenet.config import POOLINGS as POOLING_NAMES
from lenet.config import ModelConfig

# the layers each name of `lenet.config` stands for
ACTIVATIONS = dict(zip(ACTIVATION_NAMES, (nn.Tanh, nn.ReLU), strict=True))
POOLINGS = dict(zip(POOLING_NAMES, (nn.MaxPool2d, nn.AvgPool2d), strict=True))


class LeNet5(nn.Module):
    """Input (N, C, 32, 32) -> logits (N, num_classes). 61,706 parameters by default."""

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = config or ModelConfig()
        act, pool = ACTIVATIONS[self.config.activation], POOLINGS[self.config.pooling]
        self.conv1 = nn.Conv2d(self.config.in_channels, 6, kernel_size=5)  # (N, 6, 28, 28)
        self.act1 = act()
        self.pool1 = pool(2)  # (N, 6, 14, 14)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)  # (N, 16, 10, 10)
        self.act2 = act()
        self.pool2 = pool(2)  # (N, 16, 5, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.act3 = act()
        self.fc2 = nn.Linear(120, 84)
        self.act4 = act()
        self.fc3 = nn.Linear(84, self.config.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self._conv_block(self.conv1, self.act1, self.pool1, x)  # (N, 6, 14, 14)
        x = self._conv_block(self.conv2, self.act2, self.pool2, x)  # (N, 16, 5, 5)
        x = self.act3(self.fc1(x.flatten(1)))
        x = self.act4(self.fc2(x))
        return self.fc3(x)

    def _conv_block(self, conv: nn.Module, act: nn.Module, pool: nn.Module, x: torch.Tensor):
        # Max-pooling commutes with a rising activation (tanh, ReLU): pooling first computes the
        # same function with 4x fewer activations, ~15% less training time on a CPU.
        if self.config.pooling == "max":
            return act(pool(conv(x)))
        return pool(act(conv(x)))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def private_copy(model: LeNet5) -> LeNet5:
    """A frozen copy in eval mode: hooks and requires_grad on it never reach `model`."""
    twin = copy.deepcopy(model).eval()
    for parameter in twin.parameters():
        parameter.requires_grad_(False)
    return twin


def weights_digest(model: LeNet5) -> str:
    """A short fingerprint of a model's configuration and weights: a cache key that changes
    whenever the weights do (a live run's latest weights keep their model key)."""
    digest = hashlib.sha1(repr(model.config).encode())
    for tensor in model.state_dict().values():
        digest.update(tensor.detach().cpu().numpy().tobytes())
    return digest.hexdigest()[:16]
