"""How long `python -m lenet.train` spends outside training, two trees side by side.

    python benchmarks/cli_start.py [--before DIR] [--repeats 5] [--preset quick] [--json]

Each repeat runs the whole command once from each tree, alternating (`--before`: a checkout of
an older commit, e.g. `git worktree add /tmp/before <commit>`; without it only this tree runs),
with the same MNIST folder, a fresh SQLite run store and the checkpoint into a temporary folder.
A run's time is the whole process's wall clock; its training time is what it prints
("... after N steps, T s"), the trainer's own; outside = whole - training. `--help` and a refused
flag (`--epochs 0`) are timed too: they import nothing heavy now. With --json the last line is
one JSON object of the medians per tree.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRAINED = re.compile(r"after \d+ steps, ([\d.]+) s\)")


def timed(tree: Path, args: list[str], env: dict) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "lenet.train", *args],
        cwd=tree,
        env={**env, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=False,
    )
    return time.perf_counter() - began, done.stdout + done.stderr


def one_run(tree: Path, preset: str, folder: Path) -> dict:
    env = {
        **os.environ,
        "LENET_DATABASE_URL": f"sqlite:///{folder / 'runs.db'}",
        "LENET_DATA_DIR": str(ROOT / "data"),
    }
    whole, said = timed(tree, ["--preset", preset, "--out", str(folder / "m.pt")], env)
    trained = TRAINED.search(said)
    if trained is None or "Recorded as run" not in said:
        raise SystemExit(f"{tree}: the run did not finish and record:\n{said[-2000:]}")
    training = float(trained.group(1))
    accuracy = float(re.search(r"Test accuracy ([\d.]+)%", said).group(1))
    helped, _ = timed(tree, ["--help"], env)
    refused, _ = timed(tree, ["--epochs", "0"], env)
    return {
        "whole_s": whole,
        "training_s": training,
        "outside_s": whole - training,
        "help_s": helped,
        "refused_s": refused,
        "accuracy": accuracy,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="an older checkout to compare with")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    trees = {"before": args.before, "after": ROOT} if args.before else {"after": ROOT}
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    for repeat in range(args.repeats):
        for name, tree in trees.items():
            with tempfile.TemporaryDirectory() as folder:
                run = one_run(tree, args.preset, Path(folder))
            runs[name].append(run)
            print(
                f"{repeat + 1} {name:6}: whole {run['whole_s']:.2f} s, training "
                f"{run['training_s']:.2f} s, outside {run['outside_s']:.2f} s, --help "
                f"{run['help_s']:.2f} s, refused flag {run['refused_s']:.2f} s, "
                f"{run['accuracy']:.2f}%",
                flush=True,
            )
    medians = {
        name: {key: statistics.median(r[key] for r in done) for key in done[0]}
        for name, done in runs.items()
    }
    for name, median in medians.items():
        print(f"median {name}: " + ", ".join(f"{k} {v:.2f}" for k, v in median.items()))
    if args.before:
        ratio = medians["after"]["outside_s"] / medians["before"]["outside_s"]
        print(f"outside training, after / before: {ratio:.2f}")
    if args.json:
        print(json.dumps({"machine": platform.node(), "cores": os.cpu_count(), **medians}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
