"""Issue 28: a session's share of expensive work. A new embedding or GIF is counted to the tab
that asked; past PER_MINUTE a minute it waits, in one line; a GIF or embedding already made is
served to anyone at no cost; the server's own warm-up is not counted."""

from __future__ import annotations

from collections import deque

import pytest

from demo.session import costs
from demo.views.train import timeline_views as train_timeline_views
from tests.demo.views.test_train_timeline import digit, timeline  # noqa: F401 (a fixture)


def test_a_tab_may_start_per_minute_then_waits_in_one_line(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(costs.time, "monotonic", lambda: now[0])
    times = deque()
    for _ in range(costs.PER_MINUTE):
        costs.charge("embedding", times)
    now[0] += 20
    with pytest.raises(costs.Busy) as caught:
        costs.charge("embedding", times)
    assert str(caught.value) == (
        "You asked for 4 new embeddings in a minute, the most one tab may: each takes the "
        "server's time that your classmates need. Try again in 40 s."
    )
    assert costs.wait_s(times, now[0]) == 40
    now[0] += 40
    costs.charge("embedding", times)  # a minute after the first: one more
    assert costs.ledger() is None  # outside a session (the server's warm-up): never counted
    costs.charge("embedding")


def test_a_gif_is_made_once_per_run_and_digit_for_every_session(timeline, monkeypatch):  # noqa: F811
    import lenet.timeline.gif
    from lenet.config import ModelConfig

    made, real = [], lenet.timeline.gif.timeline_gif
    monkeypatch.setattr(lenet.timeline.gif, "timeline_gif", lambda *a: made.append(a) or real(*a))
    train_timeline_views._gifs.clear()
    model, picture, tabs = ModelConfig(), digit(), [deque(), deque()]
    args = ("run7", len(timeline.snapshots), picture.tobytes(), "a test digit")
    first = train_timeline_views._gif(args, timeline, model, picture, "a test digit", tabs[0])
    again = train_timeline_views._gif(args, timeline, model, picture, "a test digit", tabs[1])
    assert first == again and first[:6] == b"GIF89a" and len(made) == 1
    assert len(tabs[0]) == 1 and len(tabs[1]) == 0  # the second tab paid nothing
    monkeypatch.setattr(lenet.timeline.gif, "timeline_gif", lambda *a: b"GIF89a")
    for run in range(train_timeline_views.GIFS + 2):  # bounded: the newest GIFS kept
        train_timeline_views._gif((f"run{run}", 1, b"", "x"), timeline, model, picture, "x", None)
    kept = train_timeline_views._gifs()[1]
    assert len(kept) == train_timeline_views.GIFS and args not in kept
    train_timeline_views._gifs.clear()
