"""The app's training jobs on the fixture: start, pause, stop, queue, divergence (reaping:
test_sessions)."""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
import pytest
import torch

from demo.training.jobs import TrainingJob
from demo.training.slots import JobSlots, default_capacity
from demo.training.worker import DataSource
from lenet.data.class_set import repeats
from lenet.store.recorder import RunRecorder, StoreWriter
from lenet.store.runs import open_store
from lenet.timeline.snapshots import snapshot_steps
from tests.conftest import FIXTURE_DIR, FIXTURE_RECIPE

FIXTURE = DataSource(folder=str(FIXTURE_DIR), val_size=1000)

SHORT = dataclasses.replace(FIXTURE_RECIPE, epochs=1, train_size=1000, batch_size=100)
LONG = dataclasses.replace(FIXTURE_RECIPE, epochs=200, train_size=500, batch_size=50)


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(0.02)


def test_a_job_runs_to_done_and_records_every_event():
    job = TrainingJob(SHORT, FIXTURE, JobSlots(1)).start()
    assert job.join(60)
    snap = job.snapshot()
    assert snap.status == "done" and not snap.active
    assert snap.started.total_steps == 10 and len(snap.batches) == 10
    assert [b.step for b in snap.batches] == list(range(1, 11))
    assert len(snap.evaluations) == 1 and snap.finished.outcome == "done"
    assert snap.progress == 1.0 and snap.error is None
    assert job.model is not None


def test_pause_resume_stop():
    job = TrainingJob(LONG, FIXTURE, JobSlots(1)).start()
    wait_for(lambda: len(job.snapshot().batches) >= 3)
    obeys_pause_resume_stop(job)


def obeys_pause_resume_stop(job) -> None:
    """A run that is training obeys pause, resume and stop (tests/demo/training/test_ray_jobs.py
    too)."""
    job.pause()
    assert job.snapshot().status == "pausing" and job.snapshot().active
    wait_for(lambda: job.snapshot().status == "paused")
    frozen = len(job.snapshot().batches)  # acknowledged by the process: no batch can follow
    time.sleep(0.5)
    assert len(job.snapshot().batches) == frozen
    job.resume()
    assert job.snapshot().status == "running"
    wait_for(lambda: len(job.snapshot().batches) >= frozen + 3)
    job.stop()
    # at once, while the run ends its batch and measures test accuracy (2-3 s on a busy server)
    assert job.snapshot().status == "stopping" and job.snapshot().active
    job.pause()  # a late click changes nothing
    job.resume()
    assert job.snapshot().status == "stopping"
    assert job.join(30)
    snap = job.snapshot()
    assert snap.status == "stopped" and snap.finished.outcome == "stopped"
    assert 0 < snap.progress < 1 and snap.seconds_left is not None


def test_a_pause_is_paused_only_when_the_process_says_so():
    """Pause, resume, pause at once: only the last request's acknowledgement counts."""
    job = TrainingJob(LONG, FIXTURE, JobSlots(1)).start()
    wait_for(lambda: len(job.snapshot().batches) >= 1)
    for _ in range(3):
        job.pause()
        job.resume()
    job.pause()
    wait_for(lambda: job.snapshot().status == "paused")
    frozen = job.snapshot().batches
    time.sleep(0.5)
    assert job.snapshot().batches == frozen and job.snapshot().status == "paused"
    job.stop()
    assert job.join(30) and job.snapshot().status == "stopped"


def test_a_run_paused_while_queued_starts_paused():
    slots = JobSlots(1)
    first = TrainingJob(LONG, FIXTURE, slots).start()
    wait_for(lambda: first.snapshot().status == "running")
    second = TrainingJob(LONG, FIXTURE, slots).start()
    second.pause()
    first.stop()
    wait_for(lambda: second.snapshot().status == "paused")
    assert second.snapshot().started is not None and second.snapshot().batches == ()
    second.resume()
    wait_for(lambda: len(second.snapshot().batches) >= 1)
    second.stop()
    assert first.join(30) and second.join(30)


def test_second_job_queues_then_starts_by_itself():
    slots = JobSlots(1)
    first = TrainingJob(LONG, FIXTURE, slots).start()
    wait_for(lambda: first.snapshot().status == "running")
    second = TrainingJob(SHORT, FIXTURE, slots).start()
    third = TrainingJob(SHORT, FIXTURE, slots).start()
    wait_for(lambda: third.snapshot().queue_position == 2)
    assert second.snapshot().status == "queued" and second.snapshot().queue_position == 1
    assert slots.counts() == (1, 2)
    first.stop()
    assert second.join(60) and third.join(60)
    assert second.snapshot().status == third.snapshot().status == "done"
    assert slots.counts() == (0, 0)


def test_stop_while_queued_leaves_the_queue_without_training():
    slots = JobSlots(1)
    first = TrainingJob(LONG, FIXTURE, slots).start()
    wait_for(lambda: first.snapshot().status == "running")
    waiting = TrainingJob(SHORT, FIXTURE, slots).start()
    wait_for(lambda: waiting.snapshot().queue_position == 1)
    waiting.stop()
    assert waiting.join(10)
    snap = waiting.snapshot()
    assert snap.status == "stopped" and snap.batches == () and snap.started is None
    assert slots.counts() == (1, 0)
    first.stop()
    first.join(30)


def test_two_slots_run_two_jobs_at_once():
    slots = JobSlots(2)
    jobs = [TrainingJob(LONG, FIXTURE, slots).start() for _ in range(2)]
    wait_for(lambda: all(j.snapshot().status == "running" for j in jobs))
    assert slots.counts() == (2, 0)
    for job in jobs:
        job.stop()
        job.join(30)


def test_divergence_and_failure_are_statuses():
    wild = dataclasses.replace(SHORT, optimizer="sgd", lr=1e4, scheduler="none")
    job = TrainingJob(wild, FIXTURE, JobSlots(1)).start()
    job.join(60)
    snap = job.snapshot()
    assert snap.status == "diverged" and "Try 0.1." in snap.finished.message
    too_big = dataclasses.replace(SHORT, train_size=50, batch_size=100)
    job = TrainingJob(too_big, FIXTURE, JobSlots(1)).start()
    job.join(60)
    snap = job.snapshot()
    assert snap.status == "failed" and "batch size 100 is larger" in snap.error


def test_capacity_one_run_per_core_unless_asked(monkeypatch):
    monkeypatch.setenv("LENET_MAX_JOBS", "3")
    assert default_capacity() == 3
    monkeypatch.setenv("LENET_MAX_JOBS", "zero")
    monkeypatch.setattr("demo.training.slots.usable_cores", lambda: 8)
    monkeypatch.setattr("demo.training.slots.available_memory_mb", lambda: None)
    assert default_capacity() == 8
    monkeypatch.setattr("demo.training.slots.available_memory_mb", lambda: 1000.0)
    assert default_capacity() == 6  # 150 MB a run


def test_runs_share_the_cores_and_say_their_threads():
    """Two runs on two cores train with one thread each (each one's share, sent as the second
    begins); when one ends, the other's share is both cores again."""
    slots = JobSlots(2, cores=2)
    first = TrainingJob(LONG, FIXTURE, slots).start()
    wait_for(lambda: len(first.snapshot().batches) > 0)
    assert first.snapshot().threads in (1, 2) and first.snapshot().cores == 2
    second = TrainingJob(LONG, FIXTURE, slots).start()
    wait_for(lambda: len(second.snapshot().batches) > 0)
    assert second.threads == 1 and slots.share(first) == slots.share(second) == 1
    wait_for(lambda: first.snapshot().threads == 1 and second.snapshot().threads == 1)
    second.stop()
    second.join(30)
    assert slots.share(first) == 2
    wait_for(lambda: first._shared == 2)  # told; it takes them if the machine has them free
    first.stop()
    first.join(30)


def test_a_paused_run_leaves_its_cores_to_the_others():
    slots = JobSlots(2, cores=2)
    first = TrainingJob(LONG, FIXTURE, slots).start()
    wait_for(lambda: len(first.snapshot().batches) > 0)
    first.pause()
    wait_for(lambda: first.snapshot().status == "paused")
    second = TrainingJob(LONG, FIXTURE, slots).start()
    wait_for(lambda: len(second.snapshot().batches) > 0)
    assert second.threads == 2 and slots.share(second) == 2  # the paused run uses no core
    first.resume()
    assert slots.share(first) == slots.share(second) == 1
    wait_for(lambda: second._shared == 1)
    for job in (first, second):
        job.stop()
        job.join(30)


def test_a_fixed_thread_count_is_kept():
    job = TrainingJob(SHORT, FIXTURE, JobSlots(1, cores=2), threads=1).start()
    wait_for(lambda: len(job.snapshot().batches) > 0)
    assert job.threads == 1 and not job.adapt
    assert job.snapshot().threads == 0  # a fixed count is not "held back": the page says nothing
    job.join(60)


@pytest.mark.parametrize("capacity", [1, 2])
def test_queue_positions_are_in_arrival_order(capacity):
    slots = JobSlots(capacity)
    cancel = threading.Event()
    holders = [object() for _ in range(capacity)]
    for holder in holders:
        assert slots.acquire(holder, cancel)
    waiting = [object(), object()]
    threads = [threading.Thread(target=slots.acquire, args=(w, cancel)) for w in waiting]
    for thread in threads:
        thread.start()
        wait_for(lambda t=thread: slots.counts()[1] == threads.index(t) + 1)
    assert [slots.position(w) for w in waiting] == [1, 2]
    slots.release(holders[0])
    wait_for(lambda: slots.position(waiting[0]) is None)
    assert slots.position(waiting[1]) == 1
    cancel.set()
    for thread in threads:
        thread.join(5)


def test_workers_never_rerun_the_apps_main_script(tmp_path, monkeypatch):
    """Under Streamlit, __main__ is the app script; multiprocessing would run it in each worker."""
    import sys
    import types

    script = tmp_path / "app.py"
    script.write_text("raise SystemExit('the app script ran inside a training worker')\n")
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", main)
    job = TrainingJob(SHORT, FIXTURE, JobSlots(1)).start()
    assert job.join(60)
    assert job.snapshot().status == "done", job.snapshot().error


def test_runs_fork_from_a_worker_server_that_holds_the_data_already(tmp_path):
    """The worker server loads MNIST once; a run then needs no files (they are deleted here)."""
    import multiprocessing.forkserver
    import os
    import shutil

    from demo.training.worker import ENV_DATA, start_worker_server

    folder = tmp_path / "mnist"
    shutil.copytree(FIXTURE_DIR, folder)
    source = DataSource(folder=str(folder), val_size=1000)
    multiprocessing.forkserver._forkserver._stop()  # a fresh worker server for this source
    try:
        start_worker_server(source)
        first = TrainingJob(SHORT, source, JobSlots(1)).start()  # the server is up once it runs
        assert first.join(60) and first.snapshot().status == "done"
        shutil.rmtree(folder)
        job = TrainingJob(SHORT, source, JobSlots(1)).start()
        assert job.join(60)
        assert job.snapshot().status == "done", job.snapshot().error
        # without the worker server's copy, the same run finds no files
        multiprocessing.forkserver._forkserver._stop()
        os.environ.pop(ENV_DATA)
        job = TrainingJob(SHORT, source, JobSlots(1)).start()
        assert job.join(60)
        assert job.snapshot().status == "failed"
    finally:
        multiprocessing.forkserver._forkserver._stop()


def test_a_worker_whose_app_is_gone_exits_without_waiting_to_send():
    """The app died mid-run (its pipes closed, nobody reads): the worker must not hang."""
    from demo.training.worker import worker_context, worker_main

    context = worker_context()
    events = context.Queue()
    control, child_end = context.Pipe()
    process = context.Process(
        target=worker_main,
        name="lenet-train-orphan-test",
        args=(LONG.to_dict(), FIXTURE, events, child_end, 1, 0.05),
        daemon=True,
    )
    process.start()
    child_end.close()
    events.get(timeout=60)  # it trains, sending weights every 0.05 s that nobody reads now
    time.sleep(1.0)
    control.close()
    process.join(20)
    alive = process.is_alive()
    if alive:
        process.kill()
    assert not alive, "the worker hung on events nobody reads"


def test_the_progress_line_says_when_a_run_is_held_to_fewer_cores():
    from demo.views.train.live import on_cores

    snap = TrainingJob(SHORT, FIXTURE, JobSlots(1)).snapshot()
    assert on_cores(snap) == ""  # not training yet
    held = dataclasses.replace(snap, status="running", threads=1, cores=2)
    assert on_cores(held) == " using 1 of the server's 2 cores".replace(" ", "\u00a0")
    assert on_cores(dataclasses.replace(held, threads=2)) == ""
    assert on_cores(dataclasses.replace(held, status="done")) == ""  # only while it trains


def test_a_job_keeps_its_timeline_and_records_it_in_the_store(tmp_path):
    """The process's snapshots reach the job as they are kept, and the run store (issue 13)."""
    writer = StoreWriter(open_store(f"sqlite:///{tmp_path / 'runs.db'}"))
    recorder = RunRecorder(writer, "ada", SHORT, None, "app", "test")
    job = TrainingJob(SHORT, FIXTURE, JobSlots(1), recorder=recorder).start()
    assert job.join(60) and job.snapshot().status == "done"
    timeline = job.timeline()
    assert timeline.steps == list(range(11)) and timeline.total_steps == 10
    assert job.timeline_length == 11
    last = timeline.model(10, SHORT.model)
    for key, tensor in job.model.state_dict().items():  # the final snapshot is the final model
        assert torch.equal(last.state_dict()[key], tensor), key
    assert writer.flush(30) and writer.problem is None
    stored = writer.store.all_snapshots(recorder.run_id)
    assert [s for s, _, _ in stored] == timeline.steps
    assert stored[3][2] == timeline.snapshots[3].weights.tobytes()


def test_a_job_without_snapshots_keeps_no_timeline():
    job = TrainingJob(SHORT, FIXTURE, JobSlots(1), snapshots=False).start()
    assert job.join(60) and job.snapshot().status == "done"
    assert len(job.timeline()) == 0 and job.model is not None


def test_while_it_trains_the_timeline_is_its_live_weights_then_its_schedule():
    """Snapshots cross to the app once training is over (sent as they came they cost 3-5% of a
    Quick demo's training time); meanwhile the weights sent every publish_s make the timeline."""
    job = TrainingJob(LONG, FIXTURE, JobSlots(1), publish_s=0.2).start()
    wait_for(lambda: len(job.timeline()) >= 3, 60)
    live = job.timeline()
    assert live.steps[0] == 0 and live.steps == sorted(set(live.steps))
    assert live.total_steps == 2000
    job.stop()
    assert job.join(60) and job.snapshot().status == "stopped"
    final = job.timeline()
    stopped_at = job.snapshot().finished.step
    assert final.steps[-1] == stopped_at
    assert set(final.steps[:-1]) <= set(snapshot_steps(10, 200, LONG.evals_per_epoch))
    last = final.model(len(final) - 1, LONG.model)
    assert torch.equal(last.fc3.weight, job.model.fc3.weight)


def test_a_run_on_the_cluster_learns_the_class_digits_it_was_given():
    """The Ray actor's state, without Ray: the class's digits reach its trainer as they reach a
    local run's process (`test_app_class_digits` follows that one)."""
    from demo.training.cluster.actor import RunActor

    digits = np.zeros((12, 28, 28), np.uint8)
    digits[:, 6:22, 12:16] = 255
    config = dataclasses.replace(SHORT, class_digits="v1").to_dict()
    actor = RunActor(config, FIXTURE, 1, 60.0, False, (digits, np.ones(12, np.int64)))
    actor.train()
    messages = actor.poll(0)
    started = next(e for kind, (events, _) in messages if kind == "events" for e in events)
    assert started.train_size == 1000 + 12 * repeats(12, 1000)  # 4 times each
    assert messages[-1] == ("end", ("done", None))
