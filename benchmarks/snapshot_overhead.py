"""What keeping a run's timeline costs: training time with snapshots on and off, side by side.

    python benchmarks/snapshot_overhead.py [--repeats 5] [--presets quick,fast] [--json]

Two paths, each alternating on/off runs of the same preset and seed in this one process:
1. `library`: `lenet.training.trainer.Trainer` on the full MNIST (snapshots taken on the training
thread).
2. `app`: the app's `TrainingJob` (its own process, forked from the preloaded worker server),
   recorded into a fresh SQLite run store: the snapshots cross the process boundary and are
   written to the store while the run trains, as in the app.
Training time is the trainer's own (`Finished.seconds`, pauses excluded). With --json the last
line is one JSON object: per path and preset, the medians on and off, `overhead` = on/off - 1,
and `paired_overhead`: the median over back-to-back pairs of on/off - 1; for the library path
`in_hook`, the share of training time spent taking snapshots (timed on the trainer's thread: a
figure the machine's noise cannot move).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lenet.data.mnist import load_mnist  # noqa: E402
from lenet.training.presets import PRESETS  # noqa: E402
from lenet.training.trainer import Trainer  # noqa: E402

TAKEN: list[float] = []  # seconds spent keeping snapshots, per library run with them on


def library_run(config, data, snapshots: bool) -> tuple[float, int]:
    trainer = Trainer(config, data, snapshots=snapshots)
    spent = [0.0]
    if snapshots:  # time every call of the trainer's snapshot hook: the cost on its thread
        take = trainer.snapshots.take

        def timed(*args, **kwargs):
            began = time.perf_counter()
            take(*args, **kwargs)
            spent[0] += time.perf_counter() - began

        trainer.snapshots.take = timed
    finished = trainer.run()
    if snapshots:
        TAKEN.append(spent[0] / finished.seconds)
    kept = len(trainer.snapshots.snapshots) if snapshots else 0
    return finished.seconds, kept


def app_run(config, source, writer, snapshots: bool) -> tuple[float, int]:
    from demo.training.jobs import TrainingJob
    from demo.training.slots import JobSlots
    from lenet.store.recorder import RunRecorder

    recorder = RunRecorder(writer, "bench", config, None, "app", "bench") if writer else None
    job = TrainingJob(config, source, JobSlots(1), threads=os.cpu_count() or 1,
                      recorder=recorder, snapshots=snapshots)  # fmt: skip
    job.start().join()
    snap = job.snapshot()
    assert snap.status == "done", snap.error
    if writer is not None:
        writer.flush(60)
    return snap.finished.seconds, len(job.timeline())


def compare(run, repeats: int) -> dict:
    """Alternate on/off (starting with each in turn) `repeats` times each, after one run
    not counted (the first run of a path warms PyTorch's kernels and the caches)."""
    run(True)
    times: dict[bool, list[float]] = {True: [], False: []}
    kept = 0
    for k in range(repeats):
        for snapshots in (True, False) if k % 2 == 0 else (False, True):
            seconds, count = run(snapshots)
            times[snapshots].append(seconds)
            kept = max(kept, count)
    on, off = statistics.median(times[True]), statistics.median(times[False])
    # each on/off pair ran back to back: the median of their ratios holds when the machine
    # itself slows down for a while (a VM's neighbours), as the medians of all runs may not
    paired = statistics.median(a / b for a, b in zip(times[True], times[False], strict=True))
    return {
        "on_s": round(on, 3),
        "off_s": round(off, 3),
        "overhead": round(on / off - 1, 4),
        "paired_overhead": round(paired - 1, 4),
        "snapshots": kept,
        "runs_on": [round(t, 3) for t in times[True]],
        "runs_off": [round(t, 3) for t in times[False]],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--presets", default="quick,fast")
    parser.add_argument("--paths", default="library,app")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--no-store", action="store_true", help="the app path without a run store (no writes)"
    )
    args = parser.parse_args()
    data = load_mnist(fetch=False)
    results: dict = {"machine": f"{platform.processor() or platform.machine()}, "
                                f"{os.cpu_count()} cores", "repeats": args.repeats}  # fmt: skip
    paths = args.paths.split(",")
    if "app" in paths:
        from demo.training.worker import DataSource, start_worker_server
        from lenet.store.recorder import StoreWriter as Writer
        from lenet.store.runs import open_store

        source = DataSource(verified=True)
        start_worker_server(source)
        folder = tempfile.mkdtemp(prefix="lenet-bench-store-")
        writer = None if args.no_store else Writer(open_store(f"sqlite:///{folder}/runs.db"))
    for name in args.presets.split(","):
        config = PRESETS[name].config
        if "library" in paths:
            results[f"library/{name}"] = compare(
                lambda on, c=config: library_run(c, data, on), args.repeats
            )
            # the share of training time spent in the snapshot hook itself (median over runs)
            results[f"library/{name}"]["in_hook"] = round(statistics.median(TAKEN), 5)
            TAKEN.clear()
            print(name, "library", results[f"library/{name}"], file=sys.stderr)
        if "app" in paths:
            results[f"app/{name}"] = compare(
                lambda on, c=config: app_run(c, source, writer, on), args.repeats
            )
            print(name, "app", results[f"app/{name}"], file=sys.stderr)
    print(json.dumps(results) if args.json else json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
