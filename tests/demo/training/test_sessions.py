"""Runs and browser sessions: the grace period, the tab registry, and the reaper's thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

from demo.training.jobs import TrainingJob
from demo.training.sessions import GRACE_S, SessionReaper, TabRegistry, TabTaken, grace_seconds
from demo.training.slots import JobSlots
from tests.demo.training.test_jobs import FIXTURE, LONG, SHORT, wait_for


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Snap:
    active: bool


class FakeJob:
    """What the reaper asks of a job: its id, whether it is active, and stop."""

    def __init__(self, job_id: int) -> None:
        self.job_id, self.stopped = job_id, False

    def snapshot(self) -> Snap:
        return Snap(active=not self.stopped)

    def stop(self) -> None:
        self.stopped = True


@pytest.fixture
def world():
    """A reaper on a fake clock whose sessions are alive while `alive[session]` says so."""
    alive: dict[str, bool] = {}
    clock = Clock()
    reaper = SessionReaper(lambda s: alive.get(s, False), grace_s=60, clock=clock)
    reaper._ensure_thread = lambda: None  # the test calls check() itself
    return reaper, alive, clock


def test_a_blip_or_a_short_absence_keeps_the_run(world):
    reaper, alive, clock = world
    job = FakeJob(1)
    alive["s1"] = True
    reaper.watch("s1", job)
    alive["s1"] = False  # the network drops
    for _ in range(59):  # one check a second, 59 s away
        clock.now += 1
        assert reaper.check()
    assert not job.stopped
    alive["s1"] = True  # the frontend reconnects to the same session
    assert reaper.check()
    alive["s1"] = False  # and drops again: the grace period starts over
    clock.now += 59
    reaper.check()
    clock.now += 30
    reaper.check()
    assert not job.stopped


def test_a_session_gone_for_the_grace_period_loses_its_run(world):
    reaper, alive, clock = world
    job = FakeJob(1)
    reaper.watch("s1", job)  # never seen alive: the tab closed
    assert reaper.check() and not job.stopped  # first seen gone now
    clock.now += 59.9
    reaper.check()
    assert not job.stopped
    clock.now += 0.1
    assert not reaper.check()  # nothing left to watch: the thread may end
    assert job.stopped


def test_a_reload_hands_the_run_to_the_new_session(world):
    reaper, alive, clock = world
    job = FakeJob(1)
    reaper.watch("old", job)
    clock.now += 30
    reaper.check()
    alive["new"] = True
    reaper.watch("new", job)  # the reloaded tab's session adopted it
    clock.now += 600
    reaper.check()
    assert not job.stopped
    alive["new"] = False
    clock.now += 1
    reaper.check()
    clock.now += 60
    reaper.check()
    assert job.stopped


def test_finished_jobs_are_forgotten_and_gone_sessions_not_remembered(world):
    reaper, alive, clock = world
    job = FakeJob(1)
    reaper.watch("s1", job)
    reaper.check()
    job.stopped = True  # it ended by itself
    assert not reaper.check()
    assert reaper._gone_since == {} and reaper._owners == {}


def test_the_grace_period_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("LENET_RECONNECT_GRACE_S", raising=False)
    assert grace_seconds() == GRACE_S == 60
    monkeypatch.setenv("LENET_RECONNECT_GRACE_S", "2.5")
    assert grace_seconds() == 2.5 and SessionReaper(lambda s: True).grace_s == 2.5
    for bad in ("soon", "-1", "nan", "inf"):
        monkeypatch.setenv("LENET_RECONNECT_GRACE_S", bad)
        assert grace_seconds() == GRACE_S, bad


def test_the_registry_gives_a_reloaded_tab_its_runs():
    alive = {"old": True}
    tabs = TabRegistry(lambda s: alive.get(s, False))
    first = {"runs": [1]}
    assert tabs.claim("tok", "old", first) is first  # a new tab keeps its own state
    assert tabs.claim("tok", "old", {"runs": []}) is first  # the same session asking again
    with pytest.raises(TabTaken):  # a duplicated tab while the original is connected
        tabs.claim("tok", "copy", {"runs": []})
    assert tabs.claim("tok", "new", {"runs": []}, handover=True) is first  # the page said: reload
    tabs.keep("tok", "old", {"runs": ["stale"]})  # the replaced session changes nothing
    assert tabs.claim("tok", "new", {}) is first
    alive["old"] = False
    later = {"runs": [1, 2]}
    tabs.keep("tok", "new", later)
    assert tabs.claim("tok", "newer", {}) is later  # holder gone: no handover needed
    assert tabs.holders() == {"newer"}


def test_the_registry_is_bounded_least_recently_used_first_out():
    tabs = TabRegistry(lambda s: True, max_tabs=3)
    for n in range(3):
        tabs.claim(f"t{n}", f"s{n}", {"n": n})
    tabs.keep("t0", "s0", {"n": 0})  # t0 used again: t1 is now the oldest
    tabs.claim("t3", "s3", {"n": 3})
    assert len(tabs) == 3 and tabs.holders() == {"s0", "s2", "s3"}


def test_tabs_expire_after_the_grace_period_once_no_session_holds_them(world):
    reaper, alive, clock = world
    alive["s1"] = alive["s2"] = True
    reaper.claim_tab("t1", "s1", {"runs": []})
    reaper.claim_tab("t2", "s2", {"runs": []})
    alive["s1"] = False
    reaper.check()
    clock.now += 59
    reaper.check()
    assert len(reaper.tabs) == 2
    clock.now += 1
    assert reaper.check()  # s2 still holds t2
    assert reaper.tabs.holders() == {"s2"}
    alive["s2"] = False
    reaper.check()
    clock.now += 60
    assert not reaper.check() and len(reaper.tabs) == 0


def test_the_registry_is_thread_safe():
    tabs = TabRegistry(lambda s: True, max_tabs=50)
    taken, errors = [], []

    def claim(n: int) -> None:
        try:
            for i in range(200):
                token = f"t{i % 60}"
                try:
                    tabs.claim(token, f"s{n}", {"n": n})
                    tabs.keep(token, f"s{n}", {"n": n})
                except TabTaken:
                    taken.append(token)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and taken and len(tabs) == 50


def ours(job: TrainingJob) -> set[str]:
    """The threads of `job` and of any reaper that are alive now (other tests' threads may
    still be ending: counting every thread was flaky)."""
    names = {f"lenet-job-{job.job_id}", "lenet-reaper"}
    return {thread.name for thread in threading.enumerate()} & names


def test_no_thread_outlives_its_job_or_session():
    wait_for(lambda: "lenet-reaper" not in {t.name for t in threading.enumerate()}, timeout=5)
    alive = {"tab-1": True}
    reaper = SessionReaper(lambda session: alive[session], interval_s=0.05, grace_s=0.3)
    job = TrainingJob(LONG, FIXTURE, JobSlots(1)).start()
    reaper.watch("tab-1", job)
    wait_for(lambda: job.snapshot().status == "running")
    assert len(ours(job)) == 2  # the job's listener and the reaper
    alive["tab-1"] = False  # the browser tab closed
    assert not job.join(0.2)  # within the grace period it goes on
    assert job.join(30)
    assert job.snapshot().status == "stopped"
    wait_for(lambda: not ours(job), timeout=5)


def test_reaper_forgets_finished_jobs_and_stops():
    wait_for(lambda: "lenet-reaper" not in {t.name for t in threading.enumerate()}, timeout=5)
    reaper = SessionReaper(lambda session: True, interval_s=0.05)
    job = TrainingJob(SHORT, FIXTURE, JobSlots(1)).start()
    reaper.watch("tab", job)
    job.join(60)
    wait_for(lambda: not ours(job), timeout=5)
    assert job.snapshot().status == "done"
