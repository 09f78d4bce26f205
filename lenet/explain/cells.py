"""One number of a conv1 or conv2 feature map, computed by hand, and the input pixels it sees.

A conv2 cell reads a 5x5 window of all six pool1 maps: per input channel the patch times that
channel's kernel slice, summed; the six sums added; the bias added; the activation applied. Its
receptive field on the 32x32 input is 14x14: 5 pool1 cells are 10 conv1 cells, which see 10 + 4
input pixels. Nothing here touches the model's parameters or registers hooks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lenet.model import LeNet5

KERNEL = 5
LAYERS = ("conv1", "conv2")


@dataclass(frozen=True)
class ConvCell:
    """How one number of a conv1 or conv2 map is computed, channel by channel."""

    layer: str
    channel: int
    row: int
    col: int
    patches: np.ndarray  # (C, 5, 5) the input values under the kernel, per input channel
    kernels: np.ndarray  # (C, 5, 5) the learned weights, per input channel
    products: np.ndarray  # (C, 5, 5) patches * kernels
    channel_sums: np.ndarray  # (C,) products summed per input channel
    bias: float
    pre_activation: float  # channel_sums.sum() + bias
    value: float  # after the activation: the number in the feature map


@dataclass(frozen=True)
class Field:
    """A square of the 32x32 input: rows top..top+size-1, columns left..left+size-1."""

    top: int
    left: int
    size: int


@torch.no_grad()
def layer_input(model: LeNet5, x: torch.Tensor, layer: str) -> torch.Tensor:
    """What `layer` reads for input x (1, C, 32, 32): x itself for conv1, pool1 for conv2."""
    if layer == "conv1":
        return x
    if layer == "conv2":
        return model.pool1(model.act1(model.conv1(x)))  # (1, 6, 14, 14), as feature_maps does
    raise ValueError(f"layer must be one of {', '.join(LAYERS)}, not {layer!r}")


@torch.no_grad()
def conv_cell(
    model: LeNet5, x: torch.Tensor, layer: str, channel: int, row: int, col: int
) -> ConvCell:
    """Recompute map `channel` of conv1 or conv2 at (row, col) for one input x by hand."""
    conv, act = (model.conv1, model.act1) if layer == "conv1" else (model.conv2, model.act2)
    source = layer_input(model, x, layer)[0].double()  # (C, H, W)
    height, width = source.shape[1] - KERNEL + 1, source.shape[2] - KERNEL + 1
    if not (0 <= channel < conv.out_channels and 0 <= row < height and 0 <= col < width):
        raise ValueError(f"{layer} has {conv.out_channels} maps of {height}x{width}")
    patches = source[:, row : row + KERNEL, col : col + KERNEL]
    kernels = conv.weight[channel].double()
    products = patches * kernels
    sums = products.sum(dim=(1, 2))
    bias = float(conv.bias[channel])
    pre = float(sums.sum()) + bias
    value = float(act(torch.tensor(pre)))
    return ConvCell(
        layer,
        channel,
        row,
        col,
        patches.numpy(),
        kernels.numpy(),
        products.numpy(),
        sums.numpy(),
        bias,
        pre,
        value,
    )


def conv2_cell(model: LeNet5, x: torch.Tensor, channel: int, row: int, col: int) -> ConvCell:
    """Map `channel` of conv2 at (row, col): the sum over the six pool1 channels of patch x
    kernel, plus the bias, then the activation."""
    return conv_cell(model, x, "conv2", channel, row, col)


def receptive_field(layer: str, row: int, col: int) -> Field:
    """The input pixels (of the 32x32 input) that a conv1 or conv2 cell depends on."""
    if layer == "conv1":
        return Field(row, col, KERNEL)
    if layer == "conv2":
        # pool1 rows row..row+4 -> conv1 rows 2*row..2*row+9 -> input rows 2*row..2*row+13
        return Field(2 * row, 2 * col, 2 * KERNEL + KERNEL - 1)
    raise ValueError(f"layer must be one of {', '.join(LAYERS)}, not {layer!r}")
