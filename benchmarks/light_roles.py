"""The roles of a light classroom (`benchmarks/light_load.py`): students drawing, students
training, students watching their run. Each is a `st_client.LightSession` sending what Chromium
sends on its page, and returns what it saw as a dict; a session that fails is a result (its error
counted), not a crash of the harness. Loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from draw_speed import SHAPES  # noqa: E402
from light_drawing import BACKGROUND_FIT, canvas_state  # noqa: E402
from st_client import LightSession, Run  # noqa: E402

DIGITS = ["1", "7", "0"]
CANVAS = "streamlit-drawable-canvas.streamlit_drawable_canvas"
DEBOUNCE_S = 0.2  # the canvas sends a drawing 200 ms after the pen lifts
FINAL = ("finished", "done", "stopped", "diverged", "failed")  # "done" before issue 24
FINISHED = ("finished", "done")


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
            if ended(note(result["statuses"], status_of(session))) and not session.auto_reruns:
                break
            for fragment_id in list(session.auto_reruns):  # the browser's setInterval
                await session.send(fragment_id, auto=True)
                result["polls"] += 1
            await asyncio.sleep(min(session.auto_reruns.values(), default=0.5))
    return result


async def watcher(
    url: str,
    seconds: float,
    stop: asyncio.Event | None = None,
    ready: asyncio.Barrier | None = None,
) -> dict:
    """A student watching their own run on the Train page: Start training a Quick demo (it trains,
    or waits its turn in the class's queue), then the live part's timed reruns as the browser's
    timer sends them, for `seconds` or until the run ends. Each update is timed from its rerun
    sent to the rerun finished (the new chart or queue place on screen); the next is sent one
    interval after the last was sent, or at once when the update took longer (one in flight, as
    the browser's timer and Streamlit's one run per session allow)."""
    result = {"updates": [], "statuses": [], "errors": 0, "ended": False, "intervals": {}}
    session = LightSession(url, "", "preset=quick")
    async with outcome(session, result):
        await open_tab(session)
        await session.click("Start training")
        if ready is not None:
            await ready.wait()
        ends = time.monotonic() + seconds
        while time.monotonic() < ends and not session.closed and not (stop and stop.is_set()):
            note(result["statuses"], status_of(session))
            if not session.auto_reruns:  # the run ended: the page is drawn anew, with no timer
                settled = time.monotonic() + session.timeout
                while not ended(status_of(session)) and time.monotonic() < settled:
                    await asyncio.sleep(0.05)
                result["ended"] = ended(note(result["statuses"], status_of(session)))
                break
            fragment_id, every = next(iter(session.auto_reruns.items()))
            result["intervals"].setdefault(result["statuses"][-1], set()).add(every)  # its timer
            sent = time.monotonic()
            try:
                await session.wait(await session.send(fragment_id, auto=True))
            except asyncio.TimeoutError:
                result["errors"] += 1
                continue
            result["updates"].append(time.monotonic() - sent)
            await asyncio.sleep(max(0.0, every - (time.monotonic() - sent)))
    return result


def note(statuses: list[str], status: str) -> str:
    """Add `status` to `statuses` when it is new; returns it."""
    if not statuses or statuses[-1] != status:
        statuses.append(status)
    return status


def ended(status: str) -> bool:
    return any(word in status for word in FINAL)
