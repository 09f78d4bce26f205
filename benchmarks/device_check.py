"""Training on whatever accelerator is present (`device="auto"`): speed, accuracy, portability.

    python benchmarks/device_check.py [--json]

1. Seconds from a cold start to 99% test accuracy with the `fast` preset, on the auto device.
2. The classic preset (15 epochs) on the auto device: time and test accuracy.
3. Its checkpoint, saved from the device and loaded on the CPU, gives the same answers.
With --json the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from epoch_speed import seconds_to_99  # noqa: E402

from lenet.data.mnist import default_data_dir, load_mnist  # noqa: E402
from lenet.files.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from lenet.training.metrics import predict_logits  # noqa: E402
from lenet.training.presets import PRESETS  # noqa: E402
from lenet.training.trainer import Trainer, resolve_device  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    device = resolve_device("auto")
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu"
    print(f"device: {device} ({name}), torch {torch.__version__}", flush=True)
    fast = seconds_to_99(default_data_dir(), device="auto")
    print(f"fast preset to 99%: {fast['seconds']} s (epoch {fast['epoch']})", flush=True)

    mnist = load_mnist(fetch=False)
    trainer = Trainer(dataclasses.replace(PRESETS["classic"].config, device="auto"), mnist)
    began = time.perf_counter()
    finished = trainer.run()
    classic_s = time.perf_counter() - began
    print(f"classic, 15 epochs: {classic_s:.1f} s, test {finished.test_accuracy:.2%}", flush=True)

    with tempfile.TemporaryDirectory() as folder:
        path = save_checkpoint(Path(folder) / "device.pt", trainer.model)
        on_cpu, _ = load_checkpoint(path, device="cpu")
    here = predict_logits(trainer.model, mnist.test.images).argmax(1)
    there = predict_logits(on_cpu, mnist.test.images).argmax(1)
    agreement = (here == there).float().mean().item()
    print(f"checkpoint from {device} read on the CPU: {agreement:.2%} same answers", flush=True)
    if args.json:
        print(
            json.dumps(
                {
                    "device": name,
                    "torch": str(torch.__version__),
                    "seconds_to_99": fast["seconds"],
                    "epoch_at_99": fast["epoch"],
                    "classic_seconds": round(classic_s, 2),
                    "classic_test_accuracy": finished.test_accuracy,
                    "cpu_agreement": agreement,
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
