"""Training on a Ray cluster against the local pool (issue 15), side by side in one process on one
machine: start latency, event latency, and the throughput of a queue of Quick-demo runs.

    python benchmarks/ray_speed.py [--repeats 10] [--queue 6] [--cpus 2]

Both backends as the app runs them, on the full MNIST set (the Quick demo preset: 10,000 images,
one epoch): the local pool is `demo.training.jobs.TrainingJob` with the worker server started first
(`demo.training.worker.start_worker_server`: MNIST preloaded, as `make demo` does) and `--cpus`
slots; Ray is `demo.training.cluster.jobs.RayTrainingJob` through Ray Client to a `ray start --head`
with `--cpus` CPUs (`scripts/cluster_demo.start_head`, the deployment's own path), one CPU a run.

1. Start latency: `start()` -> the first batch filed by the app (`snapshot().batches`), one run
   at a time, alternating local and Ray; and start -> done.
2. Event latency: a batch of events leaving the run (the worker's clock) -> filed by the app
   (`ProcessRun.event_lags`), over every message of those runs.
3. Throughput: `--queue` runs started at once; wall time until all are done, and the runs a
   minute.

Prints one JSON object; the Ray head is stopped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.serving import free_port  # noqa: E402
from scripts.cluster_demo import cluster_env, start_head, stop_head  # noqa: E402


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def one_run(make) -> tuple[float, float, list[float]]:
    began = time.perf_counter()
    job = make().start()
    while not job.snapshot().batches:
        if not job.snapshot().active:
            raise RuntimeError(f"the run ended before a batch: {job.snapshot().error}")
        time.sleep(0.005)
    first = time.perf_counter() - began
    job.join()
    assert job.snapshot().status == "done", job.snapshot().error
    return first, time.perf_counter() - began, list(job.event_lags)


def queue_of(make, runs: int) -> float:
    began = time.perf_counter()
    jobs = [make().start() for _ in range(runs)]
    for job in jobs:
        job.join()
        assert job.snapshot().status == "done", job.snapshot().error
    return time.perf_counter() - began


def summary(firsts, dones, lags) -> dict:
    return {
        "first_batch_s": {
            "median": round(statistics.median(firsts), 3),
            "min": round(min(firsts), 3),
            "max": round(max(firsts), 3),
        },
        "done_s_median": round(statistics.median(dones), 3),
        "event_latency_ms": {
            "median": round(1000 * statistics.median(lags), 2),
            "p95": round(1000 * quantile(lags, 0.95), 2),
            "messages": len(lags),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--queue", type=int, default=6)
    parser.add_argument("--cpus", type=int, default=2)
    args = parser.parse_args()

    import dataclasses

    from demo.training.jobs import TrainingJob
    from demo.training.slots import JobSlots
    from demo.training.worker import DataSource, start_worker_server
    from lenet.training.presets import PRESETS

    config = dataclasses.replace(PRESETS["quick"].config, device="cpu")
    source = DataSource(verified=True)
    start_worker_server(source)
    slots = JobSlots(args.cpus, cores=args.cpus)
    head = start_head(args.cpus, free_port())
    try:
        os.environ.update({k: v for k, v in cluster_env().items() if k.startswith("RAY")})
        os.environ["LENET_RAY_ADDRESS"] = head.address
        from demo.training.cluster.connection import connect
        from demo.training.cluster.jobs import RaySlots, RayTrainingJob

        began = time.perf_counter()
        connect()
        connected = time.perf_counter() - began
        ray_slots = RaySlots(cpus=1)
        backends = {
            "local": lambda: TrainingJob(config, source, slots),
            "ray": lambda: RayTrainingJob(config, source, ray_slots),
        }
        for make in backends.values():  # warm: the first run of each pays one-off costs
            one_run(make)
        results = {name: ([], [], []) for name in backends}
        for _ in range(args.repeats):
            for name, make in backends.items():
                first, done, lags = one_run(make)
                results[name][0].append(first)
                results[name][1].append(done)
                results[name][2].extend(lags)
        out = {
            "machine": f"{os.cpu_count()} cores",
            "ray_client_connect_s": round(connected, 2),
            "repeats": args.repeats,
        }
        for name in backends:
            out[name] = summary(*results[name])
        for name, make in backends.items():
            wall = queue_of(make, args.queue)
            out[name]["queue"] = {
                "runs": args.queue,
                "wall_s": round(wall, 2),
                "runs_per_minute": round(60 * args.queue / wall, 1),
            }
        local, ray = out["local"], out["ray"]
        out["ratios_ray_over_local"] = {
            "first_batch": round(
                ray["first_batch_s"]["median"] / local["first_batch_s"]["median"], 2
            ),
            "event_latency": round(
                ray["event_latency_ms"]["median"] / local["event_latency_ms"]["median"], 2
            ),
            "queue_wall": round(ray["queue"]["wall_s"] / local["queue"]["wall_s"], 2),
        }
        print(json.dumps(out, indent=2))
    finally:
        stop_head(head)


if __name__ == "__main__":
    main()
