"""Peak memory of refusing each hostile checkpoint kind, against loading a good checkpoint.

    python benchmarks/hostile_checkpoints.py [--root DIR ...] [--json]

Each file is loaded by `lenet.files.checkpoint.load_checkpoint` in a fresh Python process (the
checkout at ROOT first on sys.path), which then reports its peak RSS (`ru_maxrss`) and the outcome.
Kinds: a 31-byte pickle of `bytearray(1.9e9)`, a ~1 MB zip bomb declaring 1 GB of zeros,
model_config `in_channels=2e6` and `num_classes=3e6` (LeNet-5's weights otherwise), and an
fc1.weight of 120 x 2,000,000 (deflated zeros: ~1 MB on disk, 960 MB declared). "import" is the
process with lenet.files.checkpoint imported and nothing loaded. `--root` may be given several times
(e.g. this checkout and today's main in another folder) to measure them side by side with the same
files.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lenet.files.checkpoint import checkpoint_payload  # noqa: E402
from lenet.model import LeNet5  # noqa: E402
from tests.lenet.files.test_hostile_checkpoints import hostile_files, saved  # noqa: E402

LOAD = """
import resource, sys
sys.path.insert(0, sys.argv[1])
from lenet.files.checkpoint import load_checkpoint
from lenet.errors import CheckpointError
outcome = "imported"
if len(sys.argv) > 2:
    try:
        load_checkpoint(sys.argv[2])
        outcome = "loaded"
    except CheckpointError as error:
        outcome = "refused: " + str(error)
    except BaseException as error:
        outcome = "crashed: " + type(error).__name__ + ": " + str(error)[:120]
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, outcome)
"""


def peak(root: Path, path: Path | None) -> dict:
    """Peak RSS (MB) and outcome of loading `path` with the checkout at `root`, fresh process."""
    args = [sys.executable, "-c", LOAD, str(root), *([str(path)] if path else [])]
    done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not done.stdout.strip():
        return {"peak_mb": None, "outcome": f"exit {done.returncode}: {done.stderr[-200:]}"}
    mb, outcome = done.stdout.strip().splitlines()[-1].split(" ", 1)
    return {"peak_mb": int(mb), "outcome": outcome}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, action="append", help="checkout(s) to measure")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    roots = args.root or [ROOT]
    with tempfile.TemporaryDirectory() as folder:
        files = {"good": saved(checkpoint_payload(LeNet5())), **hostile_files()}
        paths = {}
        for name, content in files.items():
            paths[name] = Path(folder) / f"{name}.pt"
            paths[name].write_bytes(content)
        sizes = {name: len(content) for name, content in files.items()}
        results = {
            str(root): {"import": peak(root, None)}
            | {name: peak(root, path) for name, path in paths.items()}
            for root in roots
        }
    if args.json:
        print(json.dumps({"file_bytes": sizes, "results": results}, indent=1))
        return
    for root, rows in results.items():
        print(root)
        for name, row in rows.items():
            print(f"  {name:18} {row['peak_mb']!s:>6} MB  {row['outcome'][:90]}")


if __name__ == "__main__":
    main()
