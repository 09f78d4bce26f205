"""A model as an ONNX file to download: the same network for onnxruntime, a browser or a phone
(`lenet.files.onnx_model`; `python -m lenet.export` on the command line)."""

from __future__ import annotations

import re
from collections.abc import Callable

from lenet.model import LeNet5

ONNX_HELP = (
    "The same network as an ONNX file, for onnxruntime, a web page or a phone app. Its input "
    "'image' is (N, 1, 32, 32) in [-1, 1], white on black; its outputs are 'logits' and "
    "'probabilities'. A viewer such as Netron draws its layers."
)


def file_stem(key: str) -> str:
    """'run:12@80' -> 'lenet5_run_12_80': a model key as a file name's safe stem."""
    return "lenet5_" + (re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_") or "model")


def onnx_download(
    where, model: LeNet5 | Callable[[], LeNet5], name: str, key: str | None = None
) -> None:
    """A download button for `model` (or the function that loads it) as ONNX, written only when
    pressed (~20 ms). `name` names the file ('run:12@80': lenet5_run_12_80.onnx) and, without
    `key`, the button."""

    def content() -> bytes:
        from lenet.files.onnx_model import onnx_bytes

        return onnx_bytes(model() if callable(model) else model)

    where.download_button(
        "Download as ONNX",
        data=content,
        file_name=f"{file_stem(name)}.onnx",
        mime="application/octet-stream",
        help=ONNX_HELP,
        key=key or f"onnx_{name}",
    )
