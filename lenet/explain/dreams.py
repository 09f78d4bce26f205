"""What each filter wants to see: the input that makes one channel's centre cell as active as it
can be (activation maximisation, neuron by neuron).

A cell of a feature map sees only part of the input, its receptive field. For LeNet-5's 32x32
input: conv1's 5x5 kernel gives a 28x28 map whose centre cell (14, 14) sees the 5x5 input square
at rows and columns 14-18; conv2's 5x5 kernel on pool1's 14x14 maps gives a 10x10 map whose
centre cell (5, 5) sees pool1 cells 5-9, that is conv1 cells 10-19, that is the 14x14 input square
at rows and columns 10-23. Only the pixels of that square can change the cell, so the ascent
works on the square alone (exactly the same cell value, far less work).

For every channel of conv1 (6) and conv2 (16), gradient ascent (Adam) from a seeded faint-noise
start changes the square's pixels to raise the centre cell's activation, while an L2 penalty (no
pixel further from grey than it must be) and a total-variation penalty (neighbouring pixels
alike) keep it readable; pixels are clamped to the input range [-1, 1] after each step. With
tanh, the activation flattens near 1, so the L2 penalty wins there and the picture stays in
proportion to what the filter weighs (for conv1: its kernel). With ReLU, which is flat below 0,
the ascent raises the cell's value before the activation instead (the same best input above 0).
All channels of a layer are one batch (square i for channel i). The same model and seed give
the same squares. The model is never changed: the ascent runs on a frozen private copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lenet.explain.cells import receptive_field
from lenet.model import LeNet5, private_copy

LAYERS = {"conv1": 6, "conv2": 16}
SIZE = 32  # the model input's side
CENTRE = {"conv1": 14, "conv2": 5}  # the centre cell's row (= column) of the 28x28, 10x10 maps
# its receptive field on the input: first row (= column), side
FIELD = {
    layer: (receptive_field(layer, c, c).top, receptive_field(layer, c, c).size)
    for layer, c in CENTRE.items()
}


@dataclass(frozen=True)
class DreamConfig:
    steps: int = 120
    lr: float = 0.05  # Adam's step on pixels in [-1, 1]
    l2: float = 0.01  # weight of the mean squared pixel (grey is 0)
    tv: float = 0.2  # weight of the mean squared difference of neighbouring pixels
    start_noise: float = 0.1  # standard deviation of the seeded start around grey


def field(layer: str) -> slice:
    """The rows (= columns) of the input that `layer`'s centre cell sees."""
    first, side = FIELD[layer]
    return slice(first, first + side)


def crop(images: torch.Tensor, layer: str) -> torch.Tensor:
    """(N, C, side, side): the receptive field of `layer`'s centre cell cut out of each image."""
    return images[..., field(layer), field(layer)]


def centre_activation(model: LeNet5, layer: str, images: torch.Tensor) -> torch.Tensor:
    """(N,) activation of channel i's centre cell of `layer` on whole input i (N, C, 32, 32)."""
    maps = model.act1(model.conv1(images))  # (N, 6, 28, 28)
    if layer == "conv2":
        maps = model.act2(model.conv2(model.pool1(maps)))  # (N, 16, 10, 10)
    picked, middle = torch.arange(len(images)), CENTRE[layer]
    return maps[picked, picked, middle, middle]


def field_activation(model: LeNet5, layer: str, squares: torch.Tensor, raw: bool = False):
    """(N,) the same cell from its receptive field alone (N, C, side, side); `raw`: before the
    activation function."""
    cells = model.conv1(squares)  # (N, 6, 1, 1) or (N, 6, 10, 10)
    if layer == "conv2":
        cells = model.conv2(model.pool1(model.act1(cells)))  # (N, 16, 1, 1)
    picked = torch.arange(len(squares))
    cells = cells[picked, picked, 0, 0]
    return cells if raw else (model.act1 if layer == "conv1" else model.act2)(cells)


def start_images(layer: str, in_channels: int, seed: int, noise: float) -> torch.Tensor:
    """The seeded start of the ascent: faint noise around grey, one 32x32 image per channel."""
    generator = torch.Generator().manual_seed(seed * 1009 + LAYERS[layer])
    return noise * torch.randn(LAYERS[layer], in_channels, SIZE, SIZE, generator=generator)


def dream(model: LeNet5, layer: str, seed: int = 0, config: DreamConfig | None = None):
    """(N, C, 32, 32) in [-1, 1]: image i maximises channel i's centre cell of `layer` (only its
    receptive field changes from the start; cut it out with `crop`)."""
    config = config or DreamConfig()
    frozen = private_copy(model)
    raw = frozen.config.activation == "relu"
    images = start_images(layer, frozen.config.in_channels, seed, config.start_noise)
    x = crop(images, layer).clone().requires_grad_(True)
    optimiser = torch.optim.Adam([x], lr=config.lr)
    for _ in range(config.steps):
        optimiser.zero_grad(set_to_none=True)
        loss = -field_activation(frozen, layer, x, raw).sum() + _penalty(x, config)
        loss.backward()  # x is the only leaf that wants a gradient: the copy is frozen
        optimiser.step()
        with torch.no_grad():
            x.clamp_(-1.0, 1.0)
    images[..., field(layer), field(layer)] = x.detach()
    return images


def dreams(model: LeNet5, seed: int = 0, config: DreamConfig | None = None) -> dict:
    """{"conv1": (6, C, 32, 32), "conv2": (16, C, 32, 32)}: every channel's preferred input."""
    return {layer: dream(model, layer, seed, config) for layer in LAYERS}


def _penalty(x: torch.Tensor, config: DreamConfig) -> torch.Tensor:
    """Per image: L2 towards grey plus total variation, summed over the batch."""
    l2 = x.pow(2).mean(dim=(1, 2, 3))
    tv = (x[..., 1:, :] - x[..., :-1, :]).pow(2).mean(dim=(1, 2, 3)) + (
        x[..., :, 1:] - x[..., :, :-1]
    ).pow(2).mean(dim=(1, 2, 3))
    return (config.l2 * l2 + config.tv * tv).sum()
