"""Filter surgery: knock out a conv1 or conv2 channel, or give a conv1 channel a classic edge
detector, always on a copy of the model (a shared model is never touched).

A knocked-out channel has its kernel and bias set to zero, so its map is act(0) everywhere
(0 for tanh and ReLU). An edge detector replaces the channel's kernel and sets its bias to 0, so
a flat patch gives 0. The classic 3x3 kernels (Sobel, Prewitt, Laplacian) sit in the middle of
the 5x5 kernel with a ring of zeros around them: at each position they compute exactly the 3x3
filter centred on the middle pixel of the 5x5 window. The Laplacian of Gaussian is a true 5x5.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch

from lenet.errors import ConfigError
from lenet.model import LeNet5, private_copy

ZERO = "zero"  # the change that knocks a channel out
LAYERS = ("conv1", "conv2")


def _padded(kernel3: list[list[float]]) -> np.ndarray:
    """A 3x3 kernel in the middle of a 5x5 one, a ring of zeros around it."""
    kernel = np.zeros((5, 5), np.float32)
    kernel[1:4, 1:4] = kernel3
    return kernel


# PyTorch's conv2d is a cross-correlation: each kernel applies as written (row 0 on top), so
# "x" kernels answer brightness rising to the right, "y" kernels brightness rising downwards.
EDGE_KERNELS: dict[str, np.ndarray] = {
    "sobel_x": _padded([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "sobel_y": _padded([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
    "prewitt_x": _padded([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]),
    "prewitt_y": _padded([[-1, -1, -1], [0, 0, 0], [1, 1, 1]]),
    "laplacian": _padded([[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
    "log": np.array(  # Laplacian of Gaussian, the classic 5x5 (centre positive: a dot or ridge)
        [
            [0, 0, -1, 0, 0],
            [0, -1, -2, -1, 0],
            [-1, -2, 16, -2, -1],
            [0, -1, -2, -1, 0],
            [0, 0, -1, 0, 0],
        ],
        np.float32,
    ),
}


@dataclass(frozen=True)
class Edit:
    """One change to one channel: knock it out, or (conv1 only) give it an edge detector."""

    layer: str  # "conv1" | "conv2"
    channel: int
    change: str = ZERO  # ZERO or a name in EDGE_KERNELS

    def __post_init__(self) -> None:
        if self.layer not in LAYERS:
            raise ConfigError(f"layer must be conv1 or conv2, not {self.layer!r}")
        if self.change != ZERO and (self.layer != "conv1" or self.change not in EDGE_KERNELS):
            raise ConfigError(
                f"{self.change!r} is not a change for {self.layer}: use {ZERO!r}"
                + (f" or one of {', '.join(EDGE_KERNELS)}" if self.layer == "conv1" else "")
            )


def _apply(model: LeNet5, edit: Edit) -> None:
    conv = getattr(model, edit.layer)
    if not 0 <= edit.channel < conv.out_channels:
        raise ConfigError(
            f"{edit.layer} has channels 0-{conv.out_channels - 1}, not {edit.channel}"
        )
    conv.bias[edit.channel] = 0
    if edit.change == ZERO:
        conv.weight[edit.channel] = 0
        return
    kernel = torch.from_numpy(EDGE_KERNELS[edit.change])
    conv.weight[edit.channel] = kernel / conv.in_channels  # the same response to a grey image


def edited_copy(model: LeNet5, edits: Iterable[Edit]) -> LeNet5:
    """A copy of `model` with the edits applied (a later edit of a channel wins), in eval mode
    and without gradients; `model` itself is left exactly as it was."""
    edited = private_copy(model)
    with torch.no_grad():
        for edit in edits:
            _apply(edited, edit)
    return edited
