"""A model as an ONNX file (issue 27, point 6): onnxruntime reads the same ten probabilities as
PyTorch, for the shipped model on MNIST's first 100 test digits and for every layer choice; the
command line writes it whole or not at all."""

from __future__ import annotations

import onnx
import onnxruntime
import pytest
import torch

from lenet.config import ACTIVATIONS, POOLINGS, ModelConfig
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint, save_checkpoint
from lenet.files.onnx_model import onnx_bytes, read_probabilities
from lenet.model import LeNet5
from lenet.reading import probabilities
from tests.lenet.cli.test_cli import assert_one_line_error, run


def pytorch_probabilities(model, images) -> torch.Tensor:
    with torch.no_grad():
        return probabilities(model, images)


def test_the_shipped_model_reads_mnists_first_100_test_digits_alike(full_mnist):
    model, meta = load_checkpoint(DEFAULT_CHECKPOINT)
    images = full_mnist.test.images[:100].cpu()
    theirs = read_probabilities(onnx_bytes(model, meta), images.numpy())
    ours = pytorch_probabilities(model, images).numpy()
    assert theirs.shape == (100, 10)
    assert abs(theirs - ours).max() < 1e-5
    assert (theirs.argmax(1) == full_mnist.test.labels[:100].numpy()).mean() >= 0.98


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("pooling", POOLINGS)
def test_every_layer_choice_exports_the_same_function(activation, pooling):
    torch.manual_seed(0)
    model = LeNet5(ModelConfig(activation=activation, pooling=pooling)).eval()
    images = torch.rand(7, 1, 32, 32) * 2 - 1
    data = onnx_bytes(model)
    theirs = read_probabilities(data, images.numpy())
    assert abs(theirs - pytorch_probabilities(model, images).numpy()).max() < 1e-5
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    logits = session.run(["logits"], {"image": images.numpy()})[0]
    assert abs(logits - model(images).detach().numpy()).max() < 1e-4


def test_the_graph_is_named_as_the_lecture_names_the_layers():
    model, meta = load_checkpoint(DEFAULT_CHECKPOINT)
    graph = onnx.load_from_string(onnx_bytes(model, meta))
    ops = [(node.name, node.op_type) for node in graph.graph.node]
    assert ops == [
        ("conv1", "Conv"), ("pool1", "MaxPool"), ("act1", "Tanh"),
        ("conv2", "Conv"), ("pool2", "MaxPool"), ("act2", "Tanh"),
        ("flatten", "Flatten"), ("fc1", "Gemm"), ("act3", "Tanh"),
        ("fc2", "Gemm"), ("act4", "Tanh"), ("fc3", "Gemm"),
        ("logits", "Identity"), ("probabilities", "Softmax"),
    ]  # fmt: skip
    weights = sum(int(torch.tensor(t.dims).prod()) for t in graph.graph.initializer)
    assert weights == 61_706
    props = {p.key: p.value for p in graph.metadata_props}
    assert props["mnist_test_accuracy"] == f"{meta['metrics']['test_accuracy']:.4f}"
    assert "[-1, 1]" in props["input"]


def test_the_command_line_writes_a_file_onnxruntime_runs(tmp_path):
    model = LeNet5(ModelConfig(activation="relu")).eval()
    checkpoint = save_checkpoint(tmp_path / "mine.pt", model)
    out = tmp_path / "mine.onnx"
    done = run("lenet.export", str(checkpoint), "--onnx", str(out))
    assert done.returncode == 0, done.stderr
    assert "outputs 'logits' and 'probabilities'" in done.stdout
    images = torch.rand(3, 1, 32, 32) * 2 - 1
    theirs = read_probabilities(out, images.numpy())
    assert abs(theirs - pytorch_probabilities(model, images).numpy()).max() < 1e-5


def test_bad_input_is_one_line_and_leaves_no_file(tmp_path):
    checkpoint = save_checkpoint(tmp_path / "mine.pt", LeNet5().eval())
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    cases = [
        (("lenet.export", str(tmp_path / "junk.pt"), "--onnx", str(tmp_path / "a.onnx")),
         "not a readable PyTorch checkpoint"),
        (("lenet.export", str(tmp_path / "none.pt"), "--onnx", str(tmp_path / "a.onnx")),
         "no such checkpoint file"),
        (("lenet.export", str(checkpoint), "--onnx", str(tmp_path / "no" / "a.onnx")),
         f"no folder {tmp_path / 'no'}"),
        (("lenet.export", str(checkpoint), "--onnx", str(tmp_path)), "is a folder"),
        (("lenet.export", str(checkpoint)), "the following arguments are required: --onnx"),
    ]  # fmt: skip
    for args, said in cases:
        assert said in assert_one_line_error(run(*args))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.pt", "mine.pt"]
