"""Training on a busy server: today's thread policy against the new one, side by side.

    python benchmarks/busy_server.py [--runs 3] [--queue 6] [--students 8] [--json]

(a) solo: `python -m lenet.train --preset fast --epochs 1` alone, training seconds as it reports
them; (b) busy: the same beside one busy process (`while True: pass`); (c) a queue of --queue
Quick-demo runs submitted at once through the app (a real server, light protocol clients from
`benchmarks/light_load.py` clicking Start training and polling like a browser) while --students
light students draw on the Draw page: runs finished per minute, first click to last "done".

The old policy ("baseline"): one run per two cores, each with every core's thread, fixed
(`--threads CORES`; the app with LENET_MAX_JOBS=cores/2, LENET_TRAIN_THREADS=cores/(cores/2)).
The new one: `lenet.training.threads` (one run per core; threads = the cores other work leaves free,
re-checked every second). The two alternate run by run, so drift on the machine hits both.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from serving import running_app  # noqa: E402

from lenet.training.threads import usable_cores  # noqa: E402

CORES = usable_cores()
OLD_RUNS_AT_ONCE = max(1, CORES // 2)
POLICIES = {
    "baseline": {
        "cli": ["--threads", str(CORES)],
        "env": {
            "LENET_MAX_JOBS": str(OLD_RUNS_AT_ONCE),
            "LENET_TRAIN_THREADS": str(CORES // OLD_RUNS_AT_ONCE),
        },
    },
    "new": {"cli": [], "env": {"LENET_MAX_JOBS": "", "LENET_TRAIN_THREADS": ""}},  # defaults
}


@contextlib.contextmanager
def busy_process():
    """One process keeping one core busy until the block ends."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        yield
    finally:
        spinner.kill()
        spinner.wait()


def cli_run(extra: list[str]) -> dict:
    """Training seconds and the threads it used, of one `python -m lenet.train` run."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run.pt"
        command = [sys.executable, "-m", "lenet.train", "--preset", "fast", "--epochs", "1"]
        subprocess.run(
            [*command, "--out", str(out), *extra],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=600,
        )
        history = json.loads(out.with_suffix(".history.json").read_text())
    return {"seconds": history["metrics"]["seconds"], "threads": history["threads"]}


def cli_rounds(runs: int, busy: bool) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {name: [] for name in POLICIES}
    with busy_process() if busy else contextlib.nullcontext():
        for _ in range(runs):
            for name, policy in POLICIES.items():
                results[name].append(cli_run(policy["cli"]))
    return results


async def queue_round(env: dict, queue: int, students: int) -> dict:
    """Runs finished per minute for `queue` Quick-demo runs submitted at once while `students`
    light sessions draw, on a server started with `env` (the policy's settings)."""
    from light_load import quantile
    from light_roles import FINISHED, student, trainer

    with running_app(env) as (url, _):
        await student(url, 3, 0, 0.5)  # warm: the page, the model and MNIST loaded once
        stop = asyncio.Event()
        drawing = [asyncio.create_task(student(url, 900, i, 0.5, stop)) for i in range(students)]
        await asyncio.sleep(2)  # the class is drawing before the runs are submitted
        began = time.monotonic()

        async def timed() -> dict:
            result = await trainer(url, 600)
            return {**result, "ended_s": time.monotonic() - began}

        runs = await asyncio.gather(*[timed() for _ in range(queue)])
        stop.set()
        drawn = await asyncio.gather(*drawing)
    finished = [r for r in runs if r["statuses"] and r["statuses"][-1] in FINISHED]
    last = max(r["ended_s"] for r in runs)
    latencies = [x for r in drawn for x in r["latencies"]]
    return {
        "runs_per_minute": round(60 * len(finished) / last, 2),
        "runs_finished": len(finished),
        "last_done_s": round(last, 1),
        "done_at_s": sorted(round(r["ended_s"], 1) for r in runs),
        "queued_seen": any(s.startswith("queued") for r in runs for s in r["statuses"]),
        "students": students,
        "readings": len(latencies),
        "wrong": sum(r["wrong"] for r in drawn),
        "errors": sum(r["errors"] for r in drawn) + sum(r["errors"] for r in runs),
        "draw_median_s": quantile(latencies, 0.5),
        "draw_p95_s": quantile(latencies, 0.95),
    }


def median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def summary(solo: list[dict], busy: list[dict], queue: dict | None) -> dict:
    solo_s, busy_s = median([r["seconds"] for r in solo]), median([r["seconds"] for r in busy])
    out = {
        "solo_s": solo_s,
        "busy_s": busy_s,
        "busy_slowdown": round(busy_s / solo_s, 2),
        "solo_runs_s": [round(r["seconds"], 2) for r in solo],
        "busy_runs_s": [round(r["seconds"], 2) for r in busy],
        "solo_threads": [r["threads"] for r in solo],  # [seconds since start, threads from then]
        "busy_threads": [r["threads"] for r in busy],
    }
    if queue is not None:
        out["queue_runs_per_minute"] = queue["runs_per_minute"]
        out["queue"] = queue
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="CLI runs per policy and situation")
    parser.add_argument("--queue", type=int, default=6, help="Quick-demo runs in the queue")
    parser.add_argument("--students", type=int, default=8, help="light students drawing")
    parser.add_argument("--skip-queue", action="store_true", help="only (a) and (b)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    solo = cli_rounds(args.runs, busy=False)
    busy = cli_rounds(args.runs, busy=True)
    queues = {name: None for name in POLICIES}
    if not args.skip_queue:
        for name, policy in POLICIES.items():
            queues[name] = asyncio.run(queue_round(policy["env"], args.queue, args.students))
    new, old = (summary(solo[n], busy[n], queues[n]) for n in ("new", "baseline"))
    result = {
        **new,
        "baseline": old,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
    }
    for name, figures in (("baseline", old), ("new", new)):
        line = (
            f"{name:>8}: solo {figures['solo_s']:.2f} s, busy {figures['busy_s']:.2f} s "
            f"({figures['busy_slowdown']:.2f}x)"
        )
        if "queue_runs_per_minute" in figures:
            line += f", queue {figures['queue_runs_per_minute']:.1f} runs/min"
        print(line, flush=True)
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
