"""Export a checkpoint for other runtimes; `python -m lenet.export CHECKPOINT --onnx OUT`."""

from __future__ import annotations

import sys

from lenet.cli.common import OneLineParser, run_cli


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(
        prog="python -m lenet.export",
        description="Write a checkpoint as an ONNX file, for onnxruntime, a browser or a phone. "
        "Input 'image' (batch, 1, 32, 32) in [-1, 1]; outputs 'logits' and 'probabilities'.",
    )
    parser.add_argument("checkpoint", help="a .pt file written by lenet.train or the app")
    parser.add_argument(
        "--onnx", required=True, metavar="OUT", help="the ONNX file to write (replaced if there)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="run the written file with onnxruntime on MNIST's first 100 test digits and "
        "report the largest difference from PyTorch's probabilities",
    )
    parser.add_argument("--data-dir", help="MNIST root for --check (default: ./data)")
    args = parser.parse_args(argv)

    def body() -> int:
        from lenet.files.checkpoint import load_checkpoint
        from lenet.files.onnx_model import save_onnx

        model, meta = load_checkpoint(args.checkpoint)
        path = save_onnx(args.onnx, model, meta)
        print(
            f"Wrote {path} ({path.stat().st_size:,} bytes): input 'image', outputs 'logits' "
            "and 'probabilities'."
        )
        if args.check:
            print(
                f"onnxruntime against PyTorch: {largest_difference(model, path, args):.2e} at "
                "most, on MNIST's first 100 test digits."
            )
        return 0

    return run_cli(body)


def largest_difference(model, path, args) -> float:
    import torch

    from lenet.data.mnist import load_mnist
    from lenet.files.onnx_model import read_probabilities
    from lenet.reading import probabilities

    data = load_mnist(args.data_dir, log=lambda message: print(message, file=sys.stderr))
    images = data.test.images[:100].cpu()
    with torch.no_grad():
        ours = probabilities(model, images).numpy()
    return float(abs(ours - read_probabilities(path, images.numpy())).max())
