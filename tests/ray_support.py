"""What the Ray tests share: a local head of their own, the fixture's data and a long run."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from unittest import mock

import ray

from demo.training.cluster.jobs import RayTrainingJob
from demo.training.worker import DataSource
from tests.conftest import FIXTURE_DIR, FIXTURE_RECIPE

FIXTURE = DataSource(folder=str(FIXTURE_DIR), val_size=1000)
# 20,000 steps: it trains until the test stops it (a minute or more)
LONG = dataclasses.replace(FIXTURE_RECIPE, epochs=200, train_size=1000, batch_size=10)


@contextlib.contextmanager
def local_head(cpus: int):
    """A new Ray head in this process with `cpus` CPUs. address="local": never a `ray start`
    cluster found on this machine (`ray.init(num_cpus=...)` would join one and fail).

    Every run started meanwhile is stopped before the head goes, also after a failed test: a
    run's thread left behind would call Ray without a head, and Ray then starts one of its own
    in the test process (tests/conftest.py turns that off), training 20,000 steps beside the
    rest of the suite."""
    began = time.perf_counter()
    ray.init(
        address="local",
        num_cpus=cpus,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": os.getcwd()}},
        # Ray starts its workers at nice 15: beside two busy processes on two cores a run's
        # worker then took 70 s to start (5 s beside one). The tests' head trains at nice 0.
        _system_config={"worker_niceness": 0},
    )
    print(f"\nray.init: {time.perf_counter() - began:.2f} s")
    started, start = [], RayTrainingJob.start

    def remembered(job):
        started.append(job)
        return start(job)

    try:
        with mock.patch.object(RayTrainingJob, "start", remembered):
            yield
    finally:
        for job in started:
            job.stop()
        left = [job.job_id for job in started if not job.join(60)]
        ray.shutdown()
        assert not left, f"runs still going 60 s after their stop: {left}"


def wait_for(predicate, timeout: float = 180.0, jobs=()) -> None:
    """Until `predicate()`. A run's actor can take 70 s to start beside two busy processes on two
    cores (measured; 5 s beside one): the default allows that twice."""
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            shown = [(j.snapshot().status, j.snapshot().queue_position) for j in jobs]
            board = ray.get_actor("lenet-queue", namespace="lenet") if jobs else None
            line = ray.get(board.labels.remote()) if board else []
            raise AssertionError(f"timed out; the runs: {shown}; the line: {line}")
        time.sleep(0.02)
