"""Issue 28, fair shares: paused runs give their slot up and end after the pause limit; limits
per nickname and tab; the teacher stops or deletes a run in progress and its late writes are
dropped quietly. Real training processes on the fixture (demo.training.jobs), real stores."""

from __future__ import annotations

import threading

from demo.training.fair_share import ClassRuns, limits_line
from demo.training.jobs import TrainingJob
from demo.training.slots import JobSlots
from lenet.store.recorder import RunRecorder, StoreWriter
from lenet.store.runs import StoreError, open_store
from tests.demo.test_app_store import app, nickname_field, store_url  # noqa: F401 (fixtures)
from tests.demo.training.test_jobs import FIXTURE, LONG, SHORT, wait_for
from tests.demo.views.test_class_page import (  # noqa: F401 (fixtures)
    add_run,
    button,
    page,
    store,
    unlock,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def paused(job: TrainingJob) -> TrainingJob:
    wait_for(lambda: len(job.snapshot().batches) >= 1, timeout=60)
    job.pause()
    wait_for(lambda: job.snapshot().status == "paused")
    return job


def test_paused_runs_give_their_slots_to_a_classmate_waiting():
    """Two paused runs held both slots for ever on today's main: a classmate's run now starts."""
    slots = JobSlots(2, cores=2)
    holders = [paused(TrainingJob(LONG, FIXTURE, slots).start()) for _ in range(2)]
    classmate = TrainingJob(SHORT, FIXTURE, slots).start()
    assert classmate.join(60), classmate.snapshot().status
    assert classmate.snapshot().status == "done"
    assert [h.snapshot().status for h in holders] == ["paused", "paused"]
    assert slots.counts() == (0, 0)  # paused runs take no slot
    holders[0].resume()  # a resumed run trains again, beside the others
    wait_for(lambda: slots.counts() == (1, 0))
    for holder in holders:
        holder.stop()
        assert holder.join(30) and holder.snapshot().status == "stopped"


def test_a_resumed_run_waits_while_its_slot_is_taken():
    """The attacker's find: Resume put a third run on two slots. Now it stays paused, says
    why, and resumes once a slot is free."""
    slots = JobSlots(1, cores=2)
    first = paused(TrainingJob(LONG, FIXTURE, slots).start())
    second = TrainingJob(LONG, FIXTURE, slots).start()
    wait_for(lambda: len(second.snapshot().batches) >= 1, timeout=60)
    assert first.resume().startswith("Every training slot is taken")
    assert first.snapshot().status == "paused" and slots.counts() == (1, 0)
    second.stop()
    assert second.join(30)
    assert first.resume() is None and first.snapshot().status == "running"
    assert slots.counts() == (1, 0)
    first.stop()
    assert first.join(30)


def test_a_pause_longer_than_the_limit_stops_the_run_and_keeps_its_weights():
    job = paused(TrainingJob(LONG, FIXTURE, JobSlots(1), pause_limit=1.0).start())
    assert job.join(30)
    snap = job.snapshot()
    assert snap.status == "stopped" and snap.finished.outcome == "stopped"
    assert job.model is not None and snap.note == (
        "It was stopped after 1 second paused, so that others could train. Its network keeps "
        "what it learned."
    )


def test_a_resumed_run_is_not_stopped_by_an_earlier_pause():
    job = paused(TrainingJob(LONG, FIXTURE, JobSlots(1), pause_limit=1.0).start())
    job.resume()
    wait_for(lambda: job.snapshot().status == "running")
    threading.Event().wait(1.5)
    assert job.snapshot().status == "running"
    job.stop()
    assert job.join(30) and job.snapshot().note is None


def test_limits_per_nickname_and_a_gap_between_starts_per_tab(monkeypatch):
    monkeypatch.delenv("LENET_RUNS_PER_NICKNAME", raising=False)  # the defaults, as a server has
    monkeypatch.delenv("LENET_START_GAP_S", raising=False)
    clock, slots = Clock(), JobSlots(1)
    fair = ClassRuns(per_name=2, gap_s=5.0, clock=clock)
    jobs = []
    for tab in ("tab-a", "tab-b"):
        assert fair.refusal("Maya", tab) is None
        jobs.append(TrainingJob(LONG, FIXTURE, slots).start())
        fair.add(jobs[-1], "Maya", tab)
    assert fair.refusal("M\u0430ya", "tab-c") == (  # a look-alike name is the same nickname
        "M\u0430ya already has 2 runs queued or training, the most this server lets one "
        "nickname have: wait for one to end, or stop one."
    )
    assert fair.refusal("Ben", "tab-c") is None
    assert fair.refusal("Ben", "tab-a") == "One start every 5 seconds: try again in 5 s."
    clock.now += 3
    assert fair.refusal("Ben", "tab-a") == "One start every 5 seconds: try again in 2 s."
    clock.now += 2
    assert fair.refusal("Ben", "tab-a") is None
    jobs[0].stop()
    assert jobs[0].join(30)
    assert fair.refusal("Maya", "tab-c") is None  # one ended: one more may start
    jobs[1].stop()
    assert jobs[1].join(30)
    assert "2 runs queued or training per nickname" in limits_line()


def test_a_limit_set_wrong_is_one_line_at_start_up(monkeypatch):
    from demo.training.slots import environment_problems

    monkeypatch.setenv("LENET_RUNS_PER_NICKNAME", "many")
    monkeypatch.setenv("LENET_PAUSE_LIMIT_S", "0")
    assert [p for p in environment_problems() if "LENET_" in p and "=" in p][:2] == [
        "LENET_RUNS_PER_NICKNAME=many is not a number >= 1; using 2",
        "LENET_PAUSE_LIMIT_S=0 is not a number >= 1; using 300",
    ]


def test_the_teacher_stops_a_run_and_its_student_is_told(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'lenet.db'}")  # noqa: F811
    writer = StoreWriter(store)
    fair = ClassRuns(per_name=2, gap_s=0)
    job = TrainingJob(LONG, FIXTURE, JobSlots(1), recorder=RunRecorder(writer, "Ana", LONG))
    fair.add(job.start(), "Ana", "tab")
    run_id = job.recorder.run_id
    wait_for(lambda: len(job.snapshot().batches) >= 1, timeout=60)
    assert list(fair.in_progress()) == [run_id]
    assert fair.stop(run_id, note="The teacher stopped it.")
    assert job.join(30) and job.snapshot().note == "The teacher stopped it."
    writer.flush()
    assert store.run(run_id).status == "stopped" and store.checkpoint(run_id)
    assert not fair.stop(run_id, note="again") and fair.in_progress() == {}
    store.close()


def test_deleting_a_run_in_progress_stops_it_and_its_late_writes_are_quiet(tmp_path):
    """Today's main: the deleted run trained on, holding its slot, and its last write failed
    with "FOREIGN KEY constraint failed" shown to every Train page."""
    store = open_store(f"sqlite:///{tmp_path / 'lenet.db'}")  # noqa: F811
    writer = StoreWriter(store)
    slots, fair = JobSlots(1), ClassRuns(per_name=2, gap_s=0)
    job = TrainingJob(LONG, FIXTURE, slots, recorder=RunRecorder(writer, "Ana", LONG))
    fair.add(job.start(), "Ana", "tab")
    run_id = job.recorder.run_id
    wait_for(lambda: len(job.snapshot().batches) >= 2, timeout=60)
    assert store.delete(run_id)
    assert fair.stop(run_id, note="The teacher deleted it.", forget=True)
    assert job.join(30) and slots.counts() == (0, 0)
    writer.flush()
    assert writer.problem is None and store.runs() == []
    store.close()


class HeldRun:
    """A run in progress as the Class page sees it through ClassRuns (the real jobs' stop is
    tested above): its row id, whether it is active, and the stop it was given."""

    def __init__(self, run_id: int) -> None:
        self.recorder = type("Row", (), {"run_id": run_id, "forget": self.forget})()
        self.notes: list[str] = []
        self.forgotten = False

    def forget(self) -> None:
        self.forgotten = True

    def snapshot(self):
        return type("Snap", (), {"active": not self.notes})()

    def stop(self, note: str | None = None) -> None:
        self.notes.append(note)


def test_the_class_page_stops_a_run_and_deletes_one_in_progress(store, page):  # noqa: F811
    import demo.training.state

    fair = demo.training.state.class_runs_now()
    ids = [add_run(store, name, None, status="running") for name in ("Ana", "Ben")]
    held = [HeldRun(i) for i in ids]
    for run in held:
        fair.add(run, "someone", f"tab-{run.recorder.run_id}")
    at = unlock(page.run())
    assert button(at, "Stop this run").disabled  # nothing chosen
    at.selectbox(key="class_delete_choice").set_value(ids[0]).run()
    button(at, "Stop this run").click().run()
    assert held[0].notes == ["The teacher stopped it."] and [s.value for s in at.success] == [
        "Stopped."
    ]
    at.selectbox(key="class_delete_choice").set_value(ids[1]).run()
    button(at, "Delete this run").click().run()
    button(at, "Yes, delete").click().run()
    assert held[1].notes == ["The teacher deleted it."] and held[1].forgotten
    assert [r.id for r in store.runs()] == [ids[0]]
    demo.training.state.class_runs_now.clear()


def test_a_store_that_cannot_delete_is_one_line_not_the_error_box(store, page, monkeypatch):  # noqa: F811
    """Issue 28: a full disk raised StoreError from "Yes, delete" into the error box."""
    add_run(store, "Ana", 0.9)

    def full(*_args):
        raise StoreError("database or disk is full")

    monkeypatch.setattr(store, "clear", full)
    at = unlock(page.run())
    button(at, "Clear the class").click().run()
    button(at, "Yes, delete").click().run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["Nothing was deleted: database or disk is full"]


def test_the_train_page_refuses_a_third_run_for_one_nickname_in_one_line(app, monkeypatch):  # noqa: F811
    import demo.training.state

    fair = ClassRuns(per_name=2, gap_s=0)
    for run_id in (1, 2):
        fair.add(HeldRun(run_id), "Maya", f"another-tab-{run_id}")
    monkeypatch.setattr(demo.views.train.controls, "class_runs_now", lambda: fair)
    at = app()
    at.run()
    nickname_field(at).set_value("maya").run()
    button(at, "Start training").click().run()
    assert [e.value for e in at.error] == [
        "maya already has 2 runs queued or training, the most this server lets one nickname "
        "have: wait for one to end, or stop one."
    ]
    assert not button(at, "Start training").disabled  # no run started
    assert not [m for m in at.markdown if m.value.startswith("**Status:**")]
