"""The app's training machinery on an accelerator: runs forked from the worker server, on CUDA.

    python benchmarks/device_jobs.py [--data FOLDER]

The worker server (the forkserver with MNIST preloaded on the CPU, `demo.training.worker`) never
touches CUDA; each run forked from it initialises CUDA itself. Measures, for the `fast` preset with
`device="auto"`: seconds from `start()` to the first batch (first run, then a second), the
device each run reports, its test accuracy and time; then two runs at once (two slots). No
Streamlit needed. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo.training.jobs import TrainingJob  # noqa: E402
from demo.training.slots import JobSlots  # noqa: E402
from demo.training.worker import DataSource, start_worker_server  # noqa: E402
from lenet.training.presets import PRESETS  # noqa: E402


def timed_runs(config, source: DataSource, slots: JobSlots, count: int) -> list[dict]:
    began = time.perf_counter()
    jobs = [TrainingJob(config, source, slots).start() for _ in range(count)]
    firsts: list[float | None] = [None] * count
    while any(job.snapshot().active for job in jobs):
        for i, job in enumerate(jobs):
            if firsts[i] is None and job.snapshot().batches:
                firsts[i] = time.perf_counter() - began
        time.sleep(0.005)
    results = []
    for job, first in zip(jobs, firsts, strict=True):
        snap = job.snapshot()
        results.append(
            {
                "status": snap.status,
                "error": snap.error,
                "device": snap.started.device if snap.started else None,
                "first_batch_s": round(first, 2) if first else None,
                "train_s": round(snap.finished.seconds, 2) if snap.finished else None,
                "test_accuracy": snap.finished.test_accuracy if snap.finished else None,
            }
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="a folder of the four IDX files (.gz ok)")
    args = parser.parse_args()
    source = DataSource(folder=args.data) if args.data else DataSource()
    config = dataclasses.replace(PRESETS["fast"].config, device="auto")
    started = time.perf_counter()
    start_worker_server(source)
    warm = timed_runs(
        dataclasses.replace(config, epochs=1, train_size=2000), source, JobSlots(1), 1
    )
    result = {
        "worker_server_and_first_tiny_run_s": round(time.perf_counter() - started, 2),
        "tiny_run": warm,
        "one_run": timed_runs(config, source, JobSlots(1), 1),
        "two_runs_at_once": timed_runs(config, source, JobSlots(2), 2),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
