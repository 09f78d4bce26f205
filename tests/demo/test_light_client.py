"""The light load generator's protocol client (benchmarks/st_client.py) against a real server.

Not a browser test: one `streamlit run` started here, and one light session that speaks the
websocket protocol the way Chromium's frontend does. It must see its runs finish, find the
canvas, read its drawn 7, 0 and 1 as what they are and an empty canvas as "–"; a watcher must
see its Quick demo run to the end, its live part's timed reruns answered.
"""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks.light_roles import CANVAS, clear, draw_and_read, new_canvas, open_tab, watcher
from benchmarks.serving import running_app
from benchmarks.st_client import LightSession


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> str:
    checkpoints = str(tmp_path_factory.mktemp("checkpoints"))
    with running_app({"LENET_CHECKPOINT_DIR": checkpoints}) as (url, _):
        yield url


async def draw_digits(url: str) -> dict:
    """What one light session on the Draw page saw, step by step."""
    session = LightSession(url, "draw")
    try:
        await open_tab(session)
        seen = {
            "first_run": session.runs[0].status,
            "page_hash": session.page_hash,
            "query": session.query,
            "canvas": session.find("bidi_component", CANVAS),
            "before": session.metric("Prediction"),
            "first_full_elements": session.last_full.elements,
        }
        seen["drawn"] = []
        await new_canvas(session)
        for digit in "701":  # a server that always answered "7" would fail the 0 and the 1
            seen["drawn"].append((await draw_and_read(session, digit, 0))[2])
            seen.setdefault("reading_runs", []).append(session.runs[-1])
            runs_before = session.runs[-1].index
            cleared = await clear(session)
            seen["cleared"] = cleared.metric("Prediction")
            seen.setdefault("clear_runs", []).append(cleared.index - runs_before)
        seen["new_canvas"] = session.find("bidi_component", CANVAS)
        seen["exceptions"] = session.exceptions
    finally:
        await session.close()
    return seen


def run_apart(coroutine):
    """Run `coroutine` on a thread of its own: Playwright's sync API (the browser tests, same
    pytest process) keeps an event loop running on the main thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=120)


def test_a_light_session_reads_its_drawn_digits(app_url):
    seen = run_apart(draw_digits(app_url))
    # the protocol: the first run finished, navigation named the page, the app set its link
    assert seen["first_run"] == ForwardMsg.FINISHED_SUCCESSFULLY
    assert len(seen["page_hash"]) == 32
    assert "preset=" in seen["query"]
    assert seen["canvas"] is not None and seen["canvas"][0].id.endswith("-canvas_0")
    # the readings: empty, the drawing, empty again (the canvas emptied in the browser: one
    # run for Clear, and the same canvas, not one mounted anew)
    assert seen["before"] == "–"
    assert [shown[:3] for shown in seen["drawn"]] == ["7 (", "0 (", "1 ("], seen["drawn"]
    assert seen["cleared"] == "–"
    # a stroke reruns the Draw page's fragment, not the page: no title, sidebar or navigation
    page = seen["first_full_elements"]
    for run in seen["reading_runs"]:
        assert run.fragment and run.metric("Prediction") and len(run.elements) < len(page) / 2
        assert not any(is_title(kind, proto) for kind, proto, _ in run.elements)
    assert any(is_title(kind, proto) for kind, proto, _ in page)
    assert seen["clear_runs"] == [1, 1, 1]
    assert seen["new_canvas"][0].id.endswith("-canvas_0")
    assert seen["exceptions"] == []


def is_title(kind: str, proto) -> bool:
    """The page's title, "Draw a digit" (its subheaders are in the fragment)."""
    return kind == "heading" and proto.tag == "h1" and proto.body == "Draw a digit"


def test_a_watcher_sees_its_run_train_to_the_end(app_url):
    seen = run_apart(watcher(app_url, seconds=90))
    assert seen["errors"] == 0 and seen["exceptions"] == 0, seen
    assert "running" in seen["statuses"] and seen["statuses"][-1] == "finished", seen["statuses"]
    assert seen["ended"]
    # the live part's timed reruns, each answered: at least the start and a chart while it ran
    assert len(seen["updates"]) >= 2 and all(0 < s < 30 for s in seen["updates"]), seen
    assert seen["intervals"]["running"] == {1.0}  # a training run's charts: every second


def test_a_run_waiting_its_turn_is_asked_after_less_often(tmp_path):
    """One run at a time: the second watcher's run waits in the queue, and its page's timer
    asks every 3 s (demo.views.train.page.QUEUED_POLL_S); once it trains, every second."""
    env = {"LENET_CHECKPOINT_DIR": str(tmp_path), "LENET_MAX_JOBS": "1"}
    with running_app(env) as (url, _):

        async def two() -> list[dict]:
            first = asyncio.create_task(watcher(url, seconds=90))
            await asyncio.sleep(3)  # the first run holds the one slot
            return await asyncio.gather(first, watcher(url, seconds=90))

        first, second = run_apart(two())
    assert first["errors"] == second["errors"] == 0, (first, second)
    assert second["statuses"][0].startswith("queued") and second["statuses"][-1] == "finished"
    assert second["intervals"][second["statuses"][0]] == {3.0}, second
    assert second["intervals"]["running"] == {1.0}


def test_light_sessions_only_talk_to_loopback():
    with pytest.raises(ValueError, match="loopback"):
        LightSession("http://192.0.2.1:8501", "draw")
    LightSession("http://localhost:8501", "draw")  # loopback is fine (nothing is opened yet)
