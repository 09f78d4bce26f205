"""A classroom of light clients: S students drawing at once while K of them train, no browsers.

    python benchmarks/light_load.py [--students 8 16 32 64] [--trainers 2] [--watchers 0]
                                    [--seconds 30]
                                    [--think 0.5] [--url http://127.0.0.1:PORT --server-pid PID]
                                    [--json]

Each student is a `st_client.LightSession` on the Draw page, sending what Chromium sends: it
presses Clear (as the page's canvas does it in the browser: `clear`), waits `--think` seconds
(the pen moving), then 200 ms (the canvas's debounce) after the pen lifts it sends the drawing
of a 1, 7 or 0 (`benchmarks.draw_speed.SHAPES`, rasterised as the canvas does,
`benchmarks/light_drawing.py`) and times it until the rerun's Prediction; the reading must name
the digit drawn. K more sessions open the Train page with `?preset=quick`, press Start training
and send the fragment reruns the browser's timer sends (`auto_rerun`) until the run ends.
W watchers (`--watchers`) each start a Quick demo too (it trains, or waits in the class's queue)
and send the live part's timed reruns for the round, each update timed from sent to shown. The
roles live in `benchmarks/light_roles.py`.
The server's process tree is sampled (CPU, memory, training workers), and so is this process's
own CPU: what a light student costs, against a browser's (see benchmarks/light_check.py).
Without --url it starts its own server (`benchmarks.serving.running_app`). Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from classroom_load import training_workers, usage  # noqa: E402
from light_roles import FINISHED, student, trainer, watcher  # noqa: E402
from serving import running_app  # noqa: E402
from st_client import LOOPBACK  # noqa: E402


def own_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def quantile(values: list[float], q: float) -> float | None:
    values = sorted(values)
    return round(values[int(q * (len(values) - 1))], 3) if values else None


async def round_of(url: str, server_pid: int | None, args, students: int) -> dict:
    """One round: `students` drawing and `args.trainers` training at once."""
    ready = asyncio.Barrier(students + args.watchers + 1)  # every tab open: the clock starts
    jobs = [student(url, args.seconds, i, args.think, ready=ready) for i in range(students)]
    jobs += [trainer(url, args.train_limit) for _ in range(args.trainers)]
    jobs += [watcher(url, args.seconds, ready=ready) for _ in range(args.watchers)]
    running = asyncio.gather(*jobs)
    await ready.wait()
    rss0, cpu0 = usage(server_pid) if server_pid else (0.0, 0.0)
    peak, workers, wall0, mine0 = [rss0], [0], time.monotonic(), own_cpu()

    async def sample() -> None:
        while server_pid:
            peak.append(usage(server_pid)[0])
            workers.append(len(training_workers(server_pid)))
            await asyncio.sleep(0.2)

    sampler = asyncio.create_task(sample())
    results = await running
    sampler.cancel()
    wall, mine = time.monotonic() - wall0, own_cpu() - mine0
    rss1, cpu1 = usage(server_pid) if server_pid else (0.0, 0.0)
    drawn, logs = results[:students], results[students : students + args.trainers]
    watched = results[students + args.trainers :]
    updates = [x for r in watched for x in r["updates"]]
    latencies = [x for r in drawn for x in r["latencies"]]
    server = [x for r in drawn for x in r["server"]]
    return {
        "students": students,
        "trainers": args.trainers,
        "readings": len(latencies),
        "right": sum(r["right"] for r in drawn),
        "wrong": sum(r["wrong"] for r in drawn),
        "errors": sum(r["errors"] for r in results),
        "timeouts": sum(r["timeouts"] for r in drawn),
        "exception_elements": sum(r["exceptions"] for r in results),
        "failures": [r["failure"] for r in results if "failure" in r][:5],
        "median_s": round(statistics.median(latencies), 3) if latencies else None,
        "p95_s": quantile(latencies, 0.95),
        "sent_to_prediction_median_s": round(statistics.median(server), 3) if server else None,
        "sent_to_prediction_p95_s": quantile(server, 0.95),
        "server_cpu_percent": round(100 * (cpu1 - cpu0) / wall, 1) if server_pid else None,
        # the serving process tree's CPU per reading (with no trainers: the cost of a reading)
        "server_cpu_ms_per_reading": round(1000 * (cpu1 - cpu0) / len(latencies), 1)
        if server_pid and latencies
        else None,
        "server_rss_mb_peak": round(max(peak)) if server_pid else None,
        "runs_at_once_max": max(workers) if server_pid else None,
        "queued_seen": any(s.startswith("queued") for r in logs for s in r["statuses"]),
        "runs_finished": sum(bool(r["statuses"]) and r["statuses"][-1] in FINISHED for r in logs),
        "fragment_polls": sum(r["polls"] for r in logs),
        "watchers": args.watchers,
        "watch_updates": len(updates),
        "watch_update_median_s": round(statistics.median(updates), 3) if updates else None,
        "watch_update_p95_s": quantile(updates, 0.95),
        "watchers_training_seen": sum(any("running" in s for s in r["statuses"]) for r in watched),
        "watchers_queued_seen": sum(any("queued" in s for s in r["statuses"]) for r in watched),
        "round_s": round(wall, 1),
        # this process's CPU per session-second: what one light session costs the machine
        "client_cpu_s_per_session_s": round(
            mine / (wall * (students + args.trainers + args.watchers)), 4
        ),
    }


async def main_async(args, url: str, server_pid: int | None) -> list[dict]:
    await student(url, 3, 0, args.think)  # warm: the page, the model and MNIST loaded once
    await asyncio.sleep(2)
    rounds = []
    for students in args.students:
        rounds.append(await round_of(url, server_pid, args, students))
        print(json.dumps(rounds[-1]) if args.json else rounds[-1], flush=True)
    return rounds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[8, 16, 32, 64], help="S")
    parser.add_argument("--trainers", type=int, default=2, help="Quick-demo runs per round")
    parser.add_argument("--seconds", type=float, default=30, help="s each student draws")
    parser.add_argument("--think", type=float, default=0.5, help="s from empty canvas to pen up")
    parser.add_argument(
        "--watchers", type=int, default=0, help="students watching their own run's live part"
    )
    parser.add_argument("--train-limit", type=float, default=300, help="s a trainer may take")
    parser.add_argument("--url", help="a running server on 127.0.0.1 (default: start one)")
    parser.add_argument("--server-pid", type=int, help="with --url: the server to sample")
    parser.add_argument("--json", action="store_true", help="one JSON line per round")
    args = parser.parse_args()
    if args.url and urlparse(args.url).hostname not in LOOPBACK:
        parser.error(f"--url must be a loopback server (127.0.0.1 or localhost), not {args.url}")
    if args.url:
        asyncio.run(main_async(args, args.url, args.server_pid))
        return 0
    with running_app() as (url, server):
        asyncio.run(main_async(args, url, server.pid))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
