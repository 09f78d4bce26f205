"""Training runs on a Ray cluster (demo.ray_jobs), on a local Ray head started here with 2 CPUs:
the Quick demo through the app's job API, pause/resume/stop, a killed worker, a queue behind a
full cluster. PROTOTYPE (branch ray15): skipped without Ray (issue 15: in CI, not skipped)."""

from __future__ import annotations

import dataclasses
import os
import signal
import time

import pytest

ray = pytest.importorskip("ray")

from demo.ray_jobs import RaySlots, RayTrainingJob  # noqa: E402
from demo.worker import DataSource  # noqa: E402
from lenet.presets import PRESETS  # noqa: E402
from tests.conftest import FIXTURE_DIR, FIXTURE_RECIPE  # noqa: E402

FIXTURE = DataSource(folder=str(FIXTURE_DIR), val_size=1000)
QUICK = dataclasses.replace(PRESETS["quick"].config, train_size=None, device="cpu")
LONG = dataclasses.replace(FIXTURE_RECIPE, epochs=200, train_size=500, batch_size=50)


@pytest.fixture(scope="module", autouse=True)
def cluster():
    # address="local": a new head of our own, never a `ray start` cluster found on this machine
    began = time.perf_counter()
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": os.getcwd()}},
    )
    print(f"\nray.init: {time.perf_counter() - began:.2f} s")
    yield
    ray.shutdown()


def wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(0.02)


def test_the_quick_demo_runs_on_ray_through_the_job_api():
    began = time.perf_counter()
    job = RayTrainingJob(QUICK, FIXTURE, RaySlots()).start()
    wait_for(lambda: job.snapshot().batches, 90)
    first_batch = time.perf_counter() - began
    assert job.join(120)
    snap = job.snapshot()
    print(
        f"\nQuick demo on Ray: first batch after {first_batch:.2f} s, "
        f"done after {time.perf_counter() - began:.2f} s on {job.where}"
    )
    assert snap.status == "done", snap.error
    assert snap.finished.outcome == "done" and snap.finished.test_accuracy > 0.8
    assert [b.step for b in snap.batches] == list(range(1, snap.started.total_steps + 1))
    assert len(snap.evaluations) == 8 and snap.progress == 1.0
    assert job.model is not None and job.model_version >= 1
    assert len(job.timeline()) > 2  # the scheduled snapshots, sent when training was over


def test_pause_resume_stop_on_ray():
    job = RayTrainingJob(LONG, FIXTURE, RaySlots()).start()
    wait_for(lambda: len(job.snapshot().batches) >= 3)
    job.pause()
    assert job.snapshot().status == "pausing"
    wait_for(lambda: job.snapshot().status == "paused")
    frozen = len(job.snapshot().batches)
    time.sleep(0.5)
    assert len(job.snapshot().batches) == frozen
    job.resume()
    assert job.snapshot().status == "running"
    wait_for(lambda: len(job.snapshot().batches) >= frozen + 3)
    job.stop()
    assert job.snapshot().status == "stopping"
    assert job.join(60)
    snap = job.snapshot()
    assert snap.status == "stopped" and snap.finished.outcome == "stopped"


def test_a_killed_worker_fails_the_run_with_a_reason():
    job = RayTrainingJob(LONG, FIXTURE, RaySlots()).start()
    wait_for(lambda: len(job.snapshot().batches) >= 2)
    os.kill(int(job.where.rsplit(":", 1)[1]), signal.SIGKILL)  # the worker process, by its pid
    assert job.join(60)
    snap = job.snapshot()
    print(f"\nkilled worker: {snap.error}")
    assert snap.status == "failed" and "Ray cluster died" in snap.error


def test_runs_queue_behind_a_full_cluster_and_move_on():
    slots = RaySlots(cpus=2)  # each run takes the whole 2-CPU cluster: one at a time
    first = RayTrainingJob(LONG, FIXTURE, slots).start()
    wait_for(lambda: first.snapshot().status == "running")
    second = RayTrainingJob(LONG, FIXTURE, slots).start()
    third = RayTrainingJob(LONG, FIXTURE, slots).start()
    wait_for(lambda: third.snapshot().queue_position == 2)
    assert second.snapshot().status == "queued" and second.snapshot().queue_position == 1
    third.stop()  # leaves the queue at once
    wait_for(lambda: third.snapshot().status == "stopped")
    first.stop()
    wait_for(lambda: second.snapshot().status == "running")
    second.stop()
    assert first.join(60) and second.join(60) and third.join(5)
