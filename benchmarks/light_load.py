"""A classroom of light clients: S students drawing at once while K of them train, no browsers.

    python benchmarks/light_load.py [--students 8 16 32 64] [--trainers 2] [--seconds 30]
                                    [--think 0.5] [--url http://127.0.0.1:PORT --server-pid PID]
                                    [--json]

Each student is a `st_client.LightSession` on the Draw page, sending what Chromium sends: it
presses Clear (as the page's canvas does it in the browser: `clear`), waits `--think` seconds
(the pen moving), then 200 ms (the canvas's debounce) after the pen lifts it sends the drawing
of a 1, 7 or 0 (`benchmarks.draw_speed.SHAPES`, rasterised as the canvas does,
`benchmarks/light_drawing.py`) and times it until the rerun's Prediction; the reading must name
the digit drawn. K more sessions open the Train page with `?preset=quick`, press Start training
and send the fragment reruns the browser's timer sends (`auto_rerun`) until the run ends.
The server's process tree is sampled (CPU, memory, training workers), and so is this process's
own CPU: what a light student costs, against a browser's (see benchmarks/light_check.py).
Without --url it starts its own server (`benchmarks.serving.running_app`). Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
from draw_speed import SHAPES  # noqa: E402
from light_drawing import BACKGROUND_FIT, canvas_state  # noqa: E402
from serving import running_app  # noqa: E402
from st_client import LOOPBACK, LightSession, Run  # noqa: E402

DIGITS = ["1", "7", "0"]
CANVAS = "streamlit-drawable-canvas.streamlit_drawable_canvas"
DEBOUNCE_S = 0.2  # the canvas sends a drawing 200 ms after the pen lifts
FINAL = ("done", "stopped", "diverged", "failed")


@contextlib.asynccontextmanager
async def outcome(session: LightSession, result: dict):
    """A failed session is a result, not a crash of the harness: its error and its exception
    elements go into `result`, and its socket is closed."""
    try:
        yield
    except Exception as error:
        result["errors"] += 1
        result["failure"] = f"{type(error).__name__}: {str(error)[:120]}"
    finally:
        result["exceptions"] = len(session.exceptions)
        result["errors"] += len(session.exceptions)
        await session.close()


async def open_tab(session: LightSession) -> LightSession:
    """A new tab: the first run, then the tab's token answered, as demo/training/tab.py's script
    does."""
    await session.connect()
    fresh = session.component_data("lenet.tab").get("fresh")
    if fresh:
        session.set_component("lenet.tab", {"tab": {"token": fresh, "handover": False}})
        await session.request()
    return session


async def new_canvas(session: LightSession) -> None:
    """A freshly mounted canvas reports its background's fit: one more rerun, as in Chromium."""
    session.set_component(CANVAS, {"backgroundFit": BACKGROUND_FIT})
    await session.request(session.find("bidi_component", CANVAS)[1])


async def clear(session: LightSession) -> Run:
    """Clear as Chromium does it on this page: the run that shows the box empty. Where Clear is
    keyed `draw_clear` the canvas empties itself in the browser and sends its empty drawing
    (one run); an older page's Clear is Streamlit's button (its run), and the canvas mounted
    anew then reports its background (a second)."""
    found = session.find("button", "Clear")
    if found is not None and found[0].id.endswith("-draw_clear"):
        session.set_component(CANVAS, canvas_state([]))
        return await session.request(session.find("bidi_component", CANVAS)[1])
    run = await session.click("Clear")
    await new_canvas(session)
    return run


async def draw_and_read(session: LightSession, digit: str, think: float) -> tuple:
    """Draw `digit`: (pen lifted -> Prediction s, sent -> Prediction s, the Prediction shown)."""
    await asyncio.sleep(think)
    lifted = time.monotonic()
    await asyncio.sleep(DEBOUNCE_S)
    session.set_component(CANVAS, canvas_state(SHAPES[digit]))
    sent = time.monotonic()
    run = await session.request(session.find("bidi_component", CANVAS)[1])
    now = time.monotonic()
    return now - lifted, now - sent, run.metric("Prediction") or ""


async def student(
    url: str,
    seconds: float,
    offset: int,
    think: float,
    stop: asyncio.Event | None = None,
    ready: asyncio.Barrier | None = None,
) -> dict:
    """Clear, draw, read, for `seconds` (or until `stop` is set); each reading must be this
    student's own digit. With `ready`, it waits there once its tab is open (so that a round's
    figures leave out the tabs opening)."""
    result = {"latencies": [], "server": [], "right": 0, "wrong": 0, "errors": 0, "timeouts": 0}
    session = LightSession(url, "draw")
    async with outcome(session, result):
        await open_tab(session)
        await new_canvas(session)
        if ready is not None:
            await ready.wait()
        ends, n = time.monotonic() + seconds, offset
        while time.monotonic() < ends and not session.closed and not (stop and stop.is_set()):
            digit = DIGITS[n % len(DIGITS)]
            n += 1
            try:
                if (await clear(session)).metric("Prediction") != "–":
                    result["errors"] += 1  # Clear must empty the reading
                latency, server, shown = await draw_and_read(session, digit, think)
            except asyncio.TimeoutError:  # a reading that never came (TimeoutError on 3.11+)
                result["errors"] += 1
                result["timeouts"] += 1
                continue
            result["latencies"].append(latency)
            result["server"].append(server)
            result["right" if shown.startswith(digit) else "wrong"] += 1
    return result


def status_of(session: LightSession) -> str:
    """The run's status on the Train page ("**Status:** :blue-badge[running]"), newest first."""
    for run in (*reversed(session.runs), session.last_full):
        for kind, proto, _ in reversed(run.elements if run else []):
            if kind == "markdown" and proto.body.startswith("**Status:**"):
                return proto.body.split("[", 1)[-1].split("]", 1)[0]
    return ""


async def trainer(url: str, limit_s: float) -> dict:
    """Start a Quick-demo run and send the fragment's timed reruns until it ends."""
    result = {"statuses": [], "polls": 0, "errors": 0}
    session = LightSession(url, "", "preset=quick")
    async with outcome(session, result):
        await open_tab(session)
        await session.click("Start training")
        ends = time.monotonic() + limit_s
        while time.monotonic() < ends and not session.closed:
            status = status_of(session)
            if not result["statuses"] or result["statuses"][-1] != status:
                result["statuses"].append(status)
            if any(s in status for s in FINAL) and not session.auto_reruns:
                break
            for fragment_id in list(session.auto_reruns):  # the browser's setInterval
                await session.send(fragment_id, auto=True)
                result["polls"] += 1
            await asyncio.sleep(min(session.auto_reruns.values(), default=0.5))
    return result


def own_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def quantile(values: list[float], q: float) -> float | None:
    values = sorted(values)
    return round(values[int(q * (len(values) - 1))], 3) if values else None


async def round_of(url: str, server_pid: int | None, args, students: int) -> dict:
    """One round: `students` drawing and `args.trainers` training at once."""
    ready = asyncio.Barrier(students + 1)  # every tab open: the round's clock starts
    jobs = [student(url, args.seconds, i, args.think, ready=ready) for i in range(students)]
    jobs += [trainer(url, args.train_limit) for _ in range(args.trainers)]
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
    drawn, logs = results[:students], results[students:]
    latencies = [x for r in drawn for x in r["latencies"]]
    server = [x for r in drawn for x in r["server"]]
    return {
        "students": students,
        "trainers": args.trainers,
        "readings": len(latencies),
        "right": sum(r["right"] for r in drawn),
        "wrong": sum(r["wrong"] for r in drawn),
        "errors": sum(r["errors"] for r in drawn) + sum(r["errors"] for r in logs),
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
        "runs_finished": sum(bool(r["statuses"]) and "done" in r["statuses"][-1] for r in logs),
        "fragment_polls": sum(r["polls"] for r in logs),
        "round_s": round(wall, 1),
        # this process's CPU per session-second: what one light session costs the machine
        "client_cpu_s_per_session_s": round(mine / (wall * (students + args.trainers)), 4),
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
