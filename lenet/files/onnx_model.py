"""A LeNet-5 as an ONNX file: the same network for any ONNX runtime (a browser, a phone, C++).

The graph is written node by node from the model's own weights, named as the lecture names the
layers (conv1, act1, pool1, ..., fc3), in the order `LeNet5.forward` computes them. Writing it
takes milliseconds, where tracing the model with `torch.onnx.export` took 1.4-6.7 s of a 2-core
server's time (its `torch.export` path), and the file reads like the lecture's diagram in a
viewer such as Netron.

Input `image`: (batch, 1, 32, 32) float32, an MNIST digit as `lenet.data` makes it (28x28 padded
to 32x32, scaled to [-1, 1], white on black). Outputs `logits` (batch, 10) and `probabilities`
(their softmax). tests/lenet/test_onnx_export.py runs the file with onnxruntime.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import lenet
from lenet.errors import CheckpointError
from lenet.files.checkpoint import write_file
from lenet.model import LeNet5

OPSET = 17  # onnxruntime 1.14 and later (2023) read it
ACTIVATION_OPS = {"tanh": "Tanh", "relu": "Relu"}
POOL_OPS = {"max": "MaxPool", "avg": "AveragePool"}
INPUT_NOTE = (
    "image: (batch, 1, 32, 32) float32, an MNIST-style digit (white on black, centred in 28x28, "
    "padded to 32x32) scaled to [-1, 1]. Outputs: logits and probabilities (batch, 10)."
)


def onnx_bytes(model: LeNet5, meta: dict | None = None) -> bytes:
    """The ONNX file's content for `model`; `meta` (a checkpoint's) adds its accuracy and config
    to the file's metadata."""
    return onnx_model(model, meta).SerializeToString()


def save_onnx(path: Path | str, model: LeNet5, meta: dict | None = None) -> Path:
    """Write the ONNX file through a temporary file and a rename (never a half-written file)."""
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder: give a file name such as lenet5.onnx")
    if not path.parent.is_dir():
        raise CheckpointError(f"could not write {path}: no folder {path.parent}")
    return write_file(path, onnx_bytes(model, meta), overwrite=True, verb="write")


def onnx_model(model: LeNet5, meta: dict | None = None) -> onnx.ModelProto:
    config = model.config
    act, pool = ACTIVATION_OPS[config.activation], POOL_OPS[config.pooling]
    weights, nodes = [], []

    def weight(name: str, tensor) -> str:
        weights.append(numpy_helper.from_array(tensor.detach().cpu().numpy(), name))
        return name

    def node(op: str, inputs: list[str], name: str, **attributes) -> str:
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attributes))
        return name

    def conv_block(x: str, index: int) -> str:
        conv = getattr(model, f"conv{index}")
        x = node(
            "Conv",
            [x, weight(f"conv{index}.weight", conv.weight), weight(f"conv{index}.bias", conv.bias)],
            f"conv{index}",
            kernel_shape=[5, 5],
        )
        pooled = {"kernel_shape": [2, 2], "strides": [2, 2]}
        if config.pooling == "max":  # as forward(): max-pooling first is the same, and cheaper
            x = node(pool, [x], f"pool{index}", **pooled)
            return node(act, [x], f"act{index}")
        x = node(act, [x], f"act{index}")
        return node(pool, [x], f"pool{index}", **pooled)

    def linear(x: str, index: int) -> str:
        fc = getattr(model, f"fc{index}")
        wanted = [x, weight(f"fc{index}.weight", fc.weight), weight(f"fc{index}.bias", fc.bias)]
        return node("Gemm", wanted, f"fc{index}", transB=1)

    x = conv_block(conv_block("image", 1), 2)
    x = node("Flatten", [x], "flatten", axis=1)
    x = node(act, [linear(x, 1)], "act3")
    x = node(act, [linear(x, 2)], "act4")
    logits = node("Identity", [linear(x, 3)], "logits")
    node("Softmax", [logits], "probabilities", axis=1)
    classes = config.num_classes
    graph = helper.make_graph(
        nodes,
        "lenet5",
        [
            helper.make_tensor_value_info(
                "image", TensorProto.FLOAT, ["batch", config.in_channels, 32, 32]
            )
        ],
        [
            helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", classes])
            for name in ("logits", "probabilities")
        ],
        initializer=weights,
        doc_string=INPUT_NOTE,
    )
    built = helper.make_model(
        graph,
        producer_name="LeNet-5 Lab",
        producer_version=lenet.__version__,
        opset_imports=[helper.make_opsetid("", OPSET)],
        doc_string=INPUT_NOTE,
    )
    built.ir_version = 8  # the IR of opset 17: older runtimes read it too
    helper.set_model_props(built, _properties(model, meta or {}))
    onnx.checker.check_model(built, full_check=True)
    return built


def _properties(model: LeNet5, meta: dict) -> dict[str, str]:
    """What a reader of the file should know, as ONNX metadata (strings only)."""
    shown = {"model_config": json.dumps(vars(model.config)), "input": INPUT_NOTE}
    accuracy = (meta.get("metrics") or {}).get("test_accuracy")
    if isinstance(accuracy, float):
        shown["mnist_test_accuracy"] = f"{accuracy:.4f}"
    if isinstance(meta.get("train_config"), dict):
        shown["train_config"] = json.dumps(meta["train_config"], default=str)
    return shown


def read_probabilities(path_or_bytes, images: np.ndarray) -> np.ndarray:
    """Run an ONNX file with onnxruntime: (N, 1, 32, 32) inputs -> (N, 10) probabilities."""
    import onnxruntime

    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run(["probabilities"], {"image": images.astype(np.float32)})[0]
