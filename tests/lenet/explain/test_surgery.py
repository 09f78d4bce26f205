"""Filter surgery on a copy: a knocked-out channel changes exactly its own map, edge detectors
give the maps they should, and the original model is never touched."""

from __future__ import annotations

import pytest
import torch

from lenet.config import ModelConfig
from lenet.errors import ConfigError
from lenet.explain.features import feature_maps
from lenet.explain.surgery import EDGE_KERNELS, Edit, edited_copy
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from lenet.model import LeNet5
from lenet.training.metrics import predict_logits


@pytest.fixture(scope="module")
def shipped() -> LeNet5:
    return load_checkpoint(DEFAULT_CHECKPOINT)[0]


def _snapshot(model: LeNet5) -> dict[str, torch.Tensor]:
    return {name: value.clone() for name, value in model.state_dict().items()}


@pytest.mark.parametrize("channel", [0, 3, 5])
def test_knocking_out_a_conv1_channel_changes_exactly_its_map(shipped, small_mnist, channel):
    x = small_mnist.test.images[:4]
    before = feature_maps(shipped, x)["conv1"]
    after = feature_maps(edited_copy(shipped, [Edit("conv1", channel)]), x)["conv1"]
    act0 = shipped.act1(torch.zeros(()))
    assert torch.equal(after[:, channel], torch.full_like(after[:, channel], float(act0)))
    assert not torch.equal(before[:, channel], after[:, channel])
    others = [c for c in range(6) if c != channel]
    assert torch.equal(after[:, others], before[:, others])


@pytest.mark.parametrize("channel", [0, 7, 15])
def test_knocking_out_a_conv2_channel_changes_exactly_its_map(shipped, small_mnist, channel):
    x = small_mnist.test.images[:4]
    before = feature_maps(shipped, x)
    after = feature_maps(edited_copy(shipped, [Edit("conv2", channel)]), x)
    assert torch.equal(after["conv1"], before["conv1"])  # the layer before is untouched
    assert torch.equal(after["conv2"][:, channel], torch.zeros_like(after["conv2"][:, channel]))
    assert not torch.equal(before["conv2"][:, channel], after["conv2"][:, channel])
    others = [k for k in range(16) if k != channel]
    assert torch.equal(after["conv2"][:, others], before["conv2"][:, others])


def test_a_knocked_out_relu_channel_is_zero_too(small_mnist):
    torch.manual_seed(0)
    model = LeNet5(ModelConfig(activation="relu")).eval()
    after = feature_maps(edited_copy(model, [Edit("conv1", 2)]), small_mnist.test.images[:2])
    assert torch.equal(after["conv1"][:, 2], torch.zeros_like(after["conv1"][:, 2]))


def test_the_original_model_is_left_exactly_as_it_was(shipped, small_mnist):
    weights = _snapshot(shipped)
    edits = [Edit("conv1", 0), Edit("conv1", 1, "sobel_x"), Edit("conv2", 4)]
    edited = edited_copy(shipped, edits)
    feature_maps(edited, small_mnist.test.images[:2])
    for name, value in shipped.state_dict().items():
        assert torch.equal(value, weights[name]), name
    assert all(p.grad is None for p in shipped.parameters())
    assert all(p.requires_grad for p in shipped.parameters())  # its settings are kept too
    assert not any(p.requires_grad for p in edited.parameters())
    assert not edited.training
    assert edited.conv1.weight.data_ptr() != shipped.conv1.weight.data_ptr()


def step_image() -> torch.Tensor:
    """A 32x32 input: dark (-1) left of column 16, bright (+1) from it on."""
    x = -torch.ones(1, 1, 32, 32)
    x[..., 16:] = 1
    return x


def test_sobel_x_finds_the_vertical_step_and_sobel_y_finds_nothing(shipped):
    x = step_image()
    edited = edited_copy(shipped, [Edit("conv1", 1, "sobel_x"), Edit("conv1", 2, "sobel_y")])
    pre = edited.conv1(x)[0]  # (6, 28, 28) before the activation
    # the 3x3 kernel sits at window columns 1-3: it sees the step (+2) when 1 < 16 - col <= 3,
    # and each of its columns sums to 4 (1 + 2 + 1)
    expected = torch.zeros(28, 28)
    expected[:, 13:15] = 4 * 2
    assert torch.equal(pre[1], expected)
    assert torch.equal(pre[2], torch.zeros(28, 28))
    maps = feature_maps(edited, x)["conv1"][0]
    assert torch.allclose(maps[1], torch.tanh(expected))


def test_the_laplacian_outlines_both_sides_of_the_step(shipped):
    pre = edited_copy(shipped, [Edit("conv1", 0, "laplacian")]).conv1(step_image())[0, 0]
    row = pre[10]
    # the centre pixel (window column 2) next to the step: +2 on the dark side, -2 on the bright
    assert row[13] == 2 and row[14] == -2
    assert torch.count_nonzero(row) == 2


def test_every_edge_kernel_is_5x5_and_ignores_a_flat_image(shipped):
    flat = torch.full((1, 1, 32, 32), 0.3)
    for name, kernel in EDGE_KERNELS.items():
        assert kernel.shape == (5, 5) and kernel.sum() == 0, name
        pre = edited_copy(shipped, [Edit("conv1", 0, name)]).conv1(flat)[0, 0]
        assert torch.allclose(pre, torch.zeros_like(pre), atol=1e-6), name


def test_restoring_gives_back_the_original_predictions_exactly(shipped, small_mnist):
    images = small_mnist.test.images
    original = predict_logits(shipped, images)
    broken = predict_logits(edited_copy(shipped, [Edit("conv1", c) for c in range(3)]), images)
    assert not torch.equal(broken.argmax(1), original.argmax(1))
    assert torch.equal(predict_logits(edited_copy(shipped, []), images), original)


def test_a_later_edit_of_the_same_channel_wins(shipped):
    edited = edited_copy(shipped, [Edit("conv1", 0, "sobel_x"), Edit("conv1", 0)])
    assert not edited.conv1.weight[0].any()


@pytest.mark.parametrize(
    "edit",
    [
        lambda: Edit("fc1", 0),
        lambda: Edit("conv2", 0, "sobel_x"),
        lambda: Edit("conv1", 0, "sharpen"),
    ],
)
def test_edits_that_make_no_sense_are_refused(edit):
    with pytest.raises(ConfigError):
        edit()


def test_a_channel_out_of_range_is_refused(shipped):
    with pytest.raises(ConfigError, match="0-5"):
        edited_copy(shipped, [Edit("conv1", 6)])
