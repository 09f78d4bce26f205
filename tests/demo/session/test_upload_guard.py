"""Issue 28, the attacker's find: uploads sent at the same moment all passed the check before
any was stored (six 23 MB uploads from one tab: 138 MB held against 50 MB). Uploads on their way
now count against the tab's and the server's limits."""

from __future__ import annotations

import threading

from demo.session import upload_guard


class Manager:
    """Streamlit's upload manager as the guard reads it: nothing stored yet."""

    def __init__(self) -> None:
        self._lock, self.file_storage, self._total_bytes = threading.Lock(), {}, 0


def test_uploads_on_their_way_count_against_the_tabs_limits(monkeypatch):
    monkeypatch.setattr(upload_guard, "ISSUED", upload_guard.IssuedIds())
    ids = [f"id{k}" for k in range(6)]
    upload_guard.ISSUED.add("tab", ids)
    manager, size = Manager(), 23 * 2**20
    answers = [upload_guard.refusal(manager, "tab", i, size) for i in ids]  # all at once
    assert answers[:2] == [None, None]  # 46 MB on their way
    assert {a[0] for a in answers[2:]} == {413}  # the rest would pass 50 MB
    assert "at most 4 files, 50 MB" in answers[2][1]
    upload_guard.done("tab", size)
    upload_guard.done("tab", size)
    assert upload_guard._inflight == {}


def test_uploads_on_their_way_count_against_the_servers_limit(monkeypatch):
    monkeypatch.setattr(upload_guard, "ISSUED", upload_guard.IssuedIds())
    monkeypatch.setattr(upload_guard, "SERVER_UPLOAD_MB", 60)
    manager, size = Manager(), 20 * 2**20
    for tab in ("a", "b", "c", "d"):
        upload_guard.ISSUED.add(tab, ["x"])
    answers = [upload_guard.refusal(manager, tab, "x", size) for tab in ("a", "b", "c", "d")]
    assert answers[:3] == [None, None, None] and answers[3] == (
        413,
        "The server holds too many uploads right now: try again in a minute.",
    )
    for tab in ("a", "b", "c"):
        upload_guard.done(tab, size)
    assert upload_guard.refusal(manager, "d", "x", size) is None
    upload_guard.done("d", size)
