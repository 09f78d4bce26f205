"""What a checkpoint must hold to be served: an MNIST LeNet-5, nothing else.

One grey input channel, ten classes, LeNet-5's own weight names and shapes, floating-point numbers
that are finite and small enough that no digit can make the logits overflow. Anything else is
refused with one line saying what is wrong, before a model is built from the file's settings.
"""

from __future__ import annotations

from dataclasses import fields

import torch

from lenet.config import ModelConfig
from lenet.errors import CheckpointError, ConfigError

MNIST_SETTINGS = {"in_channels": 1, "num_classes": 10}
FLOATS = (torch.float32, torch.float64, torch.float16, torch.bfloat16)
# With every |weight| <= 1e4 and inputs in [-1, 1], LeNet-5's logits stay below ~1e30 (float32
# reaches 3e38), so no digit reads as NaN; trained weights are below ~10.
MAX_WEIGHT = 1e4


def shown(value: object, limit: int = 24) -> str:
    """A value from a file, short enough for one line."""
    try:
        text = repr(value)
    except ValueError:  # an int of more than 4,300 digits
        text = "a huge number"
    return clip(text, limit)


def clip(text: str, limit: int = 40) -> str:
    """`text` cut to `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def model_config(values: object, name: str) -> ModelConfig:
    """The file's model settings as a ModelConfig for MNIST, or a CheckpointError in words."""
    if not isinstance(values, dict) or not all(isinstance(k, str) for k in values):
        raise CheckpointError(f"{name}: its model settings are not a table of named settings")
    known = {field.name for field in fields(ModelConfig)}
    if unknown := sorted(set(values) - known):
        raise CheckpointError(
            f"{name}: its model settings name options LeNet-5 does not have: "
            f"{clip(', '.join(unknown), 60)}"
        )
    if type(value := values.get("in_channels", 1)) is not int or value != 1:
        raise CheckpointError(
            f"{name}: a model for {shown(value)} input channels; this app reads MNIST digits, "
            "1 channel (grey)"
        )
    if type(value := values.get("num_classes", 10)) is not int or value != 10:
        raise CheckpointError(
            f"{name}: a model for {shown(value)} classes; an MNIST LeNet-5 tells 10 digits apart"
        )
    for key in ("activation", "pooling"):
        if key in values and type(values[key]) is not str:
            raise CheckpointError(f"{name}: its {key} is {shown(values[key])}, not a name")
    try:
        return ModelConfig(**values)
    except ConfigError as error:
        raise CheckpointError(f"{name}: its model settings are not LeNet-5's ({error})") from error


def check_weights(state: object, expected: dict[str, torch.Tensor], name: str) -> dict:
    """The file's weights as a plain dict in LeNet-5's order, once each one is fit to serve."""
    if not isinstance(state, dict):
        raise CheckpointError(f"{name}: weights do not fit LeNet-5 (not a table of named tensors)")
    if not plain_metadata(getattr(state, "_metadata", None)):
        raise CheckpointError(
            f"{name}: its weights carry layer notes (_metadata) that PyTorch never writes"
        )
    if set(state) != set(expected) or any(
        not isinstance(state[k], torch.Tensor) or state[k].shape != expected[k].shape
        for k in expected
    ):
        raise CheckpointError(f"{name}: weights do not fit LeNet-5 ({mismatch(expected, state)})")
    for key in expected:
        tensor = state[key]
        if tensor.dtype not in FLOATS:
            kind = str(tensor.dtype).removeprefix("torch.")
            raise CheckpointError(
                f"{name}: {key} holds {kind} numbers; LeNet-5's weights are floating point"
            )
        if not torch.isfinite(tensor).all():
            raise CheckpointError(
                f"{name}: some weights are not numbers (NaN or infinite): the training that "
                "made them diverged"
            )
        if (largest := tensor.abs().max().item()) > MAX_WEIGHT:
            raise CheckpointError(
                f"{name}: {key} holds a weight of {largest:.3g}; a trained LeNet-5's are far "
                f"smaller (at most {MAX_WEIGHT:,.0f} is accepted)"
            )
    return {key: state[key] for key in expected}


def plain_metadata(metadata: object) -> bool:
    """PyTorch's `_metadata`: absent, or {layer name: {setting name: ...}}."""
    if metadata is None:
        return True
    return isinstance(metadata, dict) and all(
        isinstance(layer, str)
        and isinstance(notes, dict)
        and all(isinstance(key, str) for key in notes)
        for layer, notes in metadata.items()
    )


def _shape(tensor: torch.Tensor) -> str:
    return "x".join(map(str, tensor.shape)) or "a single number"


def mismatch(expected: dict[str, torch.Tensor], state: dict) -> str:
    """Which weights are missing, extra or of the wrong shape, in words."""
    missing = [k for k in expected if k not in state]
    extra = [clip(k) if isinstance(k, str) else shown(k) for k in state if k not in expected]
    shapes = [
        f"{k} is {_shape(state[k])}, LeNet-5's is {_shape(expected[k])}"
        for k in expected
        if k in state and hasattr(state[k], "shape") and state[k].shape != expected[k].shape
    ]
    parts = []
    if missing:
        parts.append(f"missing {', '.join(missing[:3])}{' and more' if len(missing) > 3 else ''}")
    if extra:
        parts.append(
            f"layers LeNet-5 lacks: {', '.join(extra[:3])}{'...' if len(extra) > 3 else ''}"
        )
    parts += shapes[:2]
    return "; ".join(parts) or "the weights are not tensors"
