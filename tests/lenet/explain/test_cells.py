"""One conv1 or conv2 number by hand, and the input pixels it sees (lenet/explain/cells.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lenet.config import ModelConfig
from lenet.explain.cells import conv2_cell, conv_cell, layer_input, receptive_field
from lenet.explain.features import feature_maps
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from lenet.model import LeNet5


@pytest.fixture(scope="module")
def shipped():
    return load_checkpoint(DEFAULT_CHECKPOINT)[0]


def random_model(activation: str, pooling: str) -> LeNet5:
    torch.manual_seed(3)
    return LeNet5(ModelConfig(activation=activation, pooling=pooling)).eval()


CELLS = [(0, 0, 0), (3, 4, 7), (9, 9, 9), (15, 5, 2)]


@pytest.mark.parametrize("channel, row, col", CELLS)
def test_conv2_by_hand_equals_the_map_of_the_shipped_model(shipped, small_mnist, channel, row, col):
    x = small_mnist.test.images[3:4]
    cell = conv2_cell(shipped, x, channel, row, col)
    assert cell.value == pytest.approx(
        feature_maps(shipped, x)["conv2"][0, channel, row, col].item()
    )
    assert cell.patches.shape == cell.kernels.shape == cell.products.shape == (6, 5, 5)
    assert np.allclose(cell.products, cell.patches * cell.kernels)
    assert np.allclose(cell.channel_sums, cell.products.sum(axis=(1, 2)))
    assert cell.pre_activation == pytest.approx(cell.channel_sums.sum() + cell.bias, abs=1e-9)
    pool1 = feature_maps(shipped, x)["pool1"][0].numpy()
    assert np.allclose(cell.patches, pool1[:, row : row + 5, col : col + 5], atol=1e-6)
    assert np.allclose(cell.kernels, shipped.conv2.weight[channel].detach().numpy())


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("pooling", ["max", "avg"])
def test_both_layers_by_hand_for_every_activation_and_pooling(small_mnist, activation, pooling):
    model = random_model(activation, pooling)
    x = small_mnist.test.images[:1]
    maps = feature_maps(model, x)
    assert torch.allclose(layer_input(model, x, "conv2"), maps["pool1"])
    for channel, row, col in CELLS:
        cell = conv_cell(model, x, "conv2", channel, row, col)
        assert cell.value == pytest.approx(maps["conv2"][0, channel, row, col].item(), abs=1e-5)
        cell = conv_cell(model, x, "conv1", channel % 6, row * 2, col * 3)
        assert cell.patches.shape == (1, 5, 5)
        assert cell.value == pytest.approx(
            maps["conv1"][0, channel % 6, row * 2, col * 3].item(), abs=1e-5
        )
    assert all(p.grad is None for p in model.parameters())


def test_a_cell_outside_the_map_is_refused(shipped, small_mnist):
    x = small_mnist.test.images[:1]
    with pytest.raises(ValueError, match="16 maps of 10x10"):
        conv2_cell(shipped, x, 0, 10, 0)
    with pytest.raises(ValueError, match="layer must be"):
        receptive_field("fc1", 0, 0)


@pytest.mark.parametrize(
    "layer, row, col, expected",
    [
        ("conv1", 0, 0, (0, 0, 5)),
        ("conv1", 27, 3, (27, 3, 5)),
        ("conv2", 0, 0, (0, 0, 14)),
        ("conv2", 9, 4, (18, 8, 14)),
    ],
)
def test_receptive_field_shape_and_position(layer, row, col, expected):
    field = receptive_field(layer, row, col)
    assert (field.top, field.left, field.size) == expected
    assert field.top + field.size <= 32 and field.left + field.size <= 32


@pytest.mark.parametrize("layer, channel, row, col", [("conv1", 2, 11, 20), ("conv2", 7, 3, 6)])
def test_the_receptive_field_is_exactly_the_pixels_the_cell_depends_on(layer, channel, row, col):
    model = random_model("tanh", "avg")  # avg pooling: every pixel of the field counts
    x = torch.randn(1, 1, 32, 32, requires_grad=True)
    maps = {"conv1": model.act1(model.conv1(x))}
    maps["conv2"] = model.act2(model.conv2(model.pool1(maps["conv1"])))
    (grad,) = torch.autograd.grad(maps[layer][0, channel, row, col], x)
    rows, cols = np.nonzero(grad[0, 0].numpy())
    field = receptive_field(layer, row, col)
    assert (rows.min(), cols.min()) == (field.top, field.left)
    assert (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1) == (field.size, field.size)
