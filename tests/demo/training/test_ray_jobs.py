"""Training runs on a Ray cluster (demo.training.cluster.jobs), on a local Ray head started here
with 2 CPUs: the Quick demo through the app's job API, pause/resume/stop, a killed worker, a queue
behind a full cluster. Ray is in requirements-cluster.txt, which `make` installs: never skipped."""

from __future__ import annotations

import dataclasses
import os
import signal
import time

import pytest

import demo.training.state
from demo.training.cluster.jobs import RaySlots, RayTrainingJob
from lenet.training.presets import PRESETS
from tests.demo.test_app import app, button, run_until, status_text  # noqa: F401 - app: a fixture
from tests.demo.training.test_jobs import obeys_pause_resume_stop
from tests.ray_support import FIXTURE, LONG, local_head, wait_for

QUICK = dataclasses.replace(PRESETS["quick"].config, train_size=None, device="cpu")


@pytest.fixture(scope="module", autouse=True)
def cluster():
    with local_head(cpus=2):
        yield


def test_the_quick_demo_runs_on_ray_through_the_job_api():
    began = time.perf_counter()
    job = RayTrainingJob(QUICK, FIXTURE, RaySlots()).start()
    wait_for(lambda: job.snapshot().batches)
    first_batch = time.perf_counter() - began
    assert job.join(240)
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
    obeys_pause_resume_stop(job)


def test_a_killed_worker_fails_the_run_with_a_reason():
    job = RayTrainingJob(LONG, FIXTURE, RaySlots()).start()
    wait_for(lambda: len(job.snapshot().batches) >= 2)
    os.kill(int(job.where.rsplit(":", 1)[1]), signal.SIGKILL)  # the worker process, by its pid
    assert job.join(60)
    snap = job.snapshot()
    print(f"\nkilled worker: {snap.error}")
    assert snap.status == "failed" and "Ray cluster died" in snap.error


def test_the_train_page_trains_on_the_cluster_when_the_variable_is_set(app, monkeypatch):  # noqa: F811
    """The app's own path: `LENET_RAY_ADDRESS` makes the page's runs Ray actors (this test's
    head stands for the cluster) that train on the node's MNIST, pause and finish as locally."""
    monkeypatch.setenv("LENET_RAY_ADDRESS", "auto")
    demo.training.state.job_slots.clear()
    try:
        app.query_params.update(preset="quick", train_size="2000", batch_size="100", epochs="3")
        at = app.run()
        button(at, "Start training").click().run()
        job = at.session_state["job"]
        assert isinstance(job, RayTrainingJob)
        run_until(at, lambda a: "running" in status_text(a) and job.snapshot().batches, 240)
        button(at, "Pause").click().run()
        run_until(at, lambda a: "paused" in status_text(a))
        button(at, "Resume").click().run()
        run_until(at, lambda a: "finished" in status_text(a), timeout=240)
        assert not at.exception
        assert job.where and job.snapshot().finished.test_accuracy > 0.5
        assert isinstance(demo.training.state.job_slots(), RaySlots)
    finally:
        demo.training.state.job_slots.clear()


def test_a_cluster_running_other_code_fails_the_run_with_one_line(monkeypatch):
    import demo.training.cluster.jobs

    # this server's
    monkeypatch.setattr(demo.training.cluster.jobs, "code_version", lambda: "0123456789ab")
    job = RayTrainingJob(LONG, FIXTURE, RaySlots()).start()
    assert job.join(60)
    snap = job.snapshot()
    assert snap.status == "failed" and not snap.batches
    assert snap.error.startswith("the Ray cluster runs another version of this app (its code ")
    assert "this server's 0123456789ab): update the checkout on every node" in snap.error
