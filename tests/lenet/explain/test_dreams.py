"""What each filter wants to see: each channel's centre cell, its receptive field, seeded and
deterministic, better than the start, like conv1's kernel, model untouched."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from demo.figures.inspect_charts import dreams_figure
from lenet.config import ModelConfig
from lenet.explain.dreams import (
    CENTRE,
    FIELD,
    LAYERS,
    DreamConfig,
    centre_activation,
    crop,
    dreams,
    field_activation,
    start_images,
)
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from lenet.model import LeNet5

SEED = 3


@pytest.fixture(scope="module")
def shipped():
    return load_checkpoint(DEFAULT_CHECKPOINT)[0]


@pytest.fixture(scope="module")
def found(shipped):
    return dreams(shipped, seed=SEED)  # the app's settings


def _maps(model: LeNet5, layer: str, images: torch.Tensor) -> torch.Tensor:
    maps = model.act1(model.conv1(images))
    return maps if layer == "conv1" else model.act2(model.conv2(model.pool1(maps)))


@pytest.mark.parametrize("layer", list(LAYERS))
def test_the_centre_cell_and_its_receptive_field_match_the_model(shipped, layer):
    images = torch.randn(8, 1, 32, 32, requires_grad=True)
    maps = _maps(shipped, layer, images)
    assert maps.shape[-1] // 2 == CENTRE[layer]  # 28x28 -> 14, 10x10 -> 5
    (grad,) = torch.autograd.grad(maps[:, 0, CENTRE[layer], CENTRE[layer]].sum(), images)
    rows, cols = np.nonzero(grad.abs().sum(dim=(0, 1)).numpy())
    first, side = FIELD[layer]
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (first, first + side - 1) * 2
    assert len(rows) == side * side  # every pixel of the square counts, none outside it


@pytest.mark.parametrize("layer", list(LAYERS))
def test_the_cell_from_its_square_alone_equals_the_cell_of_the_whole_input(shipped, layer):
    images = torch.rand(LAYERS[layer], 1, 32, 32) * 2 - 1
    with torch.no_grad():
        whole = centre_activation(shipped, layer, images)
        alone = field_activation(shipped, layer, crop(images, layer))
    assert torch.allclose(whole, alone, atol=1e-6)


def test_one_image_per_channel_in_the_input_range(found):
    assert {k: v.shape for k, v in found.items()} == {
        "conv1": (6, 1, 32, 32),
        "conv2": (16, 1, 32, 32),
    }
    assert sum(len(v) for v in found.values()) == 22
    assert all(v.min() >= -1 and v.max() <= 1 for v in found.values())


def test_only_the_receptive_field_changes_from_the_start(found):
    for layer in LAYERS:
        start = start_images(layer, 1, SEED, DreamConfig().start_noise)
        outside = torch.ones(32, 32, dtype=torch.bool)
        outside[FIELD[layer][0] :, FIELD[layer][0] :][: FIELD[layer][1], : FIELD[layer][1]] = False
        assert torch.equal(found[layer][..., outside], start[..., outside])
        assert not torch.equal(crop(found[layer], layer), crop(start, layer))


def test_same_seed_same_images_other_seed_other_images(shipped, found):
    again = dreams(shipped, seed=SEED)
    assert all(torch.equal(found[k], again[k]) for k in LAYERS)
    other = dreams(shipped, seed=SEED + 1, config=DreamConfig(steps=20))
    assert not torch.equal(found["conv2"], other["conv2"])


def test_each_dream_excites_its_centre_cell_more_than_its_start(shipped, found):
    for layer in LAYERS:
        start = start_images(layer, 1, SEED, DreamConfig().start_noise)
        with torch.no_grad():
            before = centre_activation(shipped, layer, start)
            after = centre_activation(shipped, layer, found[layer])
        assert (after > before).all() and (after > 0.9).all(), layer


def test_each_conv1_picture_is_its_kernels_pattern(shipped, found):
    patches = crop(found["conv1"], "conv1").flatten(1)
    kernels = shipped.conv1.weight.detach().flatten(1)
    for patch, kernel in zip(patches, kernels, strict=True):
        assert np.corrcoef(patch.numpy(), kernel.numpy())[0, 1] > 0.8


def test_a_relu_model_is_raised_too():
    torch.manual_seed(0)
    model = LeNet5(ModelConfig(activation="relu"))
    found = dreams(model, config=DreamConfig(steps=30))
    for layer in LAYERS:
        start = start_images(layer, 1, 0, DreamConfig().start_noise)
        with torch.no_grad():
            assert (
                centre_activation(model, layer, found[layer])
                > centre_activation(model, layer, start)
            ).all()


def test_the_model_is_untouched(shipped):
    weights = copy.deepcopy(shipped.state_dict())
    dreams(shipped, config=DreamConfig(steps=3))
    state = shipped.state_dict()
    assert all(torch.equal(state[k], v) for k, v in weights.items())
    assert all(p.grad is None and p.requires_grad for p in shipped.parameters())
    assert not any(m._forward_hooks or m._backward_hooks for m in shipped.modules())


def test_the_figure_enlarges_each_patch_pixel_by_pixel_and_hovers_its_own_values():
    patches = np.linspace(-0.5, 0.5, 6 * 25).reshape(6, 5, 5)
    fig = dreams_figure(patches, "conv1", 6)
    (trace,) = fig.data
    z, where = np.array(trace.z, dtype=float), np.array(trace.customdata)
    assert z.shape[0] == 25 and trace.zsmooth is False  # 5 rows, each repeated 5 times
    assert np.nanmax(np.abs(z)) == pytest.approx(1.0)  # stretched to full black / white
    ch, row, col, value = where[7, 3 * 26 + 12]  # tile 3, enlarged cell (7, 12)
    assert (ch, row, col) == (3, 1, 2) and value == pytest.approx(patches[3, 1, 2])
