"""A classroom on one server: S students drawing at once while K of them train.

    python benchmarks/classroom_load.py [--students 1 2 4 6] [--trainers 2] [--seconds 30]
                                        [--churn-seconds 120] [--json]

Every student is a real browser session (a Chromium context of its own, driven concurrently
through Playwright's async API) on the Draw page: it clears the canvas, draws a digit with the
mouse, and times the release of the button until the Prediction shows; a reading must name the
digit that this student drew (a session that saw another's drawing would fail that). K more
sessions start Quick-demo training runs at once and report their status every half second, so
the training cap and the queue can be checked: never more runs at once than the cap.
The server's memory (its process and its training workers) and CPU are sampled throughout.
Then sessions come and go for --churn-seconds, and memory is compared with the start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from draw_speed import SHAPES  # noqa: E402
from serving import CHROMIUM, CHROMIUM_FLAGS, running_app  # noqa: E402

DIGITS = ["1", "7", "0"]
CLK = os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """pid and all its descendants."""
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(proc.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo += children.get(current, [])
    return out


def usage(pid: int) -> tuple[float, float]:
    """(resident memory in MB, CPU seconds) of the server and its children."""
    rss = cpu = 0.0
    for p in tree(pid):
        try:
            status = (Path("/proc") / str(p) / "status").read_text()
            rss += int(status.split("VmRSS:")[1].split()[0]) / 1024
            fields = (Path("/proc") / str(p) / "stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / CLK
        except (OSError, IndexError, ValueError):
            continue
    return rss, cpu


async def draw(page, box: dict, strokes: list) -> None:
    for stroke in strokes:
        x, y = stroke[0]
        await page.mouse.move(box["x"] + x, box["y"] + y)
        await page.mouse.down()
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:], strict=False):
            for t in (0.25, 0.5, 0.75, 1.0):
                await page.mouse.move(box["x"] + x0 + t * (x1 - x0), box["y"] + y0 + t * (y1 - y0))
        await page.mouse.up()


VALUE = "() => [...document.querySelectorAll('[data-testid=stMetricValue]')].map(e => e.innerText)"
READ = f"() => ({VALUE})().some(v => /^[0-9]/.test(v))"


async def student(browser, url: str, seconds: float, offset: int) -> dict:
    """Draw, read, clear, for `seconds`; each reading must be this student's own digit."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    result = {"latencies": [], "right": 0, "wrong": 0, "errors": 0, "redrawn": 0}
    try:
        await page.goto(f"{url}/draw")
        await page.locator("canvas.upper-canvas").first.wait_for(timeout=120_000)
        ends, n = time.monotonic() + seconds, offset
        while time.monotonic() < ends:
            digit = DIGITS[n % len(DIGITS)]
            n += 1
            await page.get_by_role("button", name="Clear").click()
            await page.wait_for_function(f"() => ({VALUE})().includes('–')", timeout=60_000)
            surface = page.locator("canvas.upper-canvas").first
            await surface.wait_for()
            await asyncio.sleep(0.3)  # Clear remounts the canvas: let the new one settle
            await draw(page, await surface.bounding_box(), SHAPES[digit])
            began = time.monotonic()
            try:
                await page.wait_for_function(READ, timeout=15_000, polling=20)
            except Exception:  # the stroke fell on a canvas still mounting: draw it again
                result["redrawn"] += 1
                await draw(page, await surface.bounding_box(), SHAPES[digit])
                began = time.monotonic()
                await page.wait_for_function(READ, timeout=30_000, polling=20)
            result["latencies"].append(time.monotonic() - began)
            shown = [v for v in await page.evaluate(VALUE) if v[:1].isdigit()][0]
            result["right" if shown.startswith(digit) else "wrong"] += 1
        result["errors"] += await page.locator(".stException").count()
    except Exception as error:  # a failed session is a result, not a crash of the harness
        result["errors"] += 1
        result["failure"] = f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"
    finally:
        await context.close()
    return result


async def trainer(browser, url: str) -> list[tuple[float, str]]:
    """Start a Quick-demo run and record (time, status) until it ends."""
    context = await browser.new_context()
    page = await context.new_page()
    seen = []
    try:
        await page.goto(f"{url}/?preset=quick")
        await page.get_by_role("button", name="Start training").click()
        for _ in range(1200):
            text = await page.locator("p", has_text="Status:").first.inner_text()
            seen.append((time.monotonic(), text.replace("Status:", "").strip()))
            if any(s in text for s in ("done", "stopped", "diverged", "failed")):
                break
            await asyncio.sleep(0.5)
    finally:
        await context.close()
    return seen


def training_workers(server_pid: int) -> list[int]:
    """Live training processes: children of the app's forkserver."""
    processes = tree(server_pid)
    servers = [p for p in processes if p != server_pid and parent_of(p) == server_pid]
    return [p for p in processes if parent_of(p) in servers]


def parent_of(pid: int) -> int:
    try:
        return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


async def round_of(browser, url, server_pid, students, trainers, seconds) -> dict:
    rss0, cpu0 = usage(server_pid)
    peak, wall0 = [rss0], time.monotonic()

    workers = [0]

    async def sample():
        while True:
            peak.append(usage(server_pid)[0])
            workers.append(len(training_workers(server_pid)))
            await asyncio.sleep(0.2)

    sampler = asyncio.create_task(sample())
    jobs = [student(browser, url, seconds, i) for i in range(students)]
    jobs += [trainer(browser, url) for _ in range(trainers)]
    results = await asyncio.gather(*jobs)
    sampler.cancel()
    rss1, cpu1 = usage(server_pid)
    drawn, logs = results[:students], results[students:]
    latencies = sorted(x for r in drawn for x in r["latencies"])
    return {
        "students": students,
        "trainers": trainers,
        "readings": len(latencies),
        "right": sum(r["right"] for r in drawn),
        "wrong": sum(r["wrong"] for r in drawn),
        "errors": sum(r["errors"] for r in drawn),
        "sessions_ok": sum(
            r["errors"] == 0 and r["wrong"] == 0 and r["latencies"] != [] for r in drawn
        ),
        "failures": [r["failure"] for r in drawn if "failure" in r],
        "median_s": round(statistics.median(latencies), 3) if latencies else None,
        "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3) if latencies else None,
        # the Streamlit process and its live workers (finished workers are not counted)
        "server_cpu_percent": round(100 * (cpu1 - cpu0) / (time.monotonic() - wall0), 1),
        "server_rss_mb_peak": round(max(peak)),
        "server_rss_mb_end": round(rss1),
        "runs_at_once_max": max(workers),  # live training processes, sampled every 0.2 s
        "redrawn_strokes": sum(r["redrawn"] for r in drawn),
        "queued_seen": any(s.startswith("queued") for log in logs for _, s in log),
        "runs_finished": sum(
            bool(log) and any(w in log[-1][1] for w in ("finished", "done")) for log in logs
        ),
    }


async def churn(browser, url, server_pid, seconds) -> list[tuple[float, float]]:
    """Sessions opening and leaving for `seconds`; (elapsed, server MB) after each wave."""
    began, samples = time.monotonic(), []
    while time.monotonic() - began < seconds:
        await asyncio.gather(*[student(browser, url, 4, i) for i in range(3)])
        samples.append((round(time.monotonic() - began), round(usage(server_pid)[0])))
    return samples


async def main_async(args) -> dict:
    from playwright.async_api import async_playwright

    with running_app() as (url, server):
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            await student(browser, url, 3, 0)  # warm: page, model and MNIST loaded once
            await asyncio.sleep(2)
            baseline = usage(server.pid)[0]
            rounds = []
            for s in args.students:
                rounds.append(
                    await round_of(browser, url, server.pid, s, args.trainers, args.seconds)
                )
                print(json.dumps(rounds[-1]), flush=True)
            after_rounds = usage(server.pid)[0]
            samples = await churn(browser, url, server.pid, args.churn_seconds)
            await asyncio.sleep(5)
            end = usage(server.pid)[0]
            await browser.close()
    return {
        "baseline_rss_mb": round(baseline),
        "after_rounds_rss_mb": round(after_rounds),
        "churn_samples": samples,
        "after_churn_rss_mb": round(end),
        "rounds": rounds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[1, 2, 4, 6])
    parser.add_argument("--trainers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--churn-seconds", type=float, default=120)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    print(
        f"server memory: {result['baseline_rss_mb']} MB at the start, "
        f"{result['after_rounds_rss_mb']} MB after the rounds, "
        f"{result['after_churn_rss_mb']} MB after {args.churn_seconds:.0f} s of churn "
        f"{result['churn_samples']}"
    )
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
