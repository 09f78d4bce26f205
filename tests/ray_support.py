"""What the Ray tests share: a local head of their own, the fixture's data and a long run."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time

import ray

from demo.training.worker import DataSource
from tests.conftest import FIXTURE_DIR, FIXTURE_RECIPE

FIXTURE = DataSource(folder=str(FIXTURE_DIR), val_size=1000)
# 20,000 steps: it trains until the test stops it (a minute or more)
LONG = dataclasses.replace(FIXTURE_RECIPE, epochs=200, train_size=1000, batch_size=10)


@contextlib.contextmanager
def local_head(cpus: int):
    """A new Ray head in this process with `cpus` CPUs. address="local": never a `ray start`
    cluster found on this machine (`ray.init(num_cpus=...)` would join one and fail)."""
    began = time.perf_counter()
    ray.init(
        address="local",
        num_cpus=cpus,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": os.getcwd()}},
    )
    print(f"\nray.init: {time.perf_counter() - began:.2f} s")
    try:
        yield
    finally:
        ray.shutdown()


def wait_for(predicate, timeout: float = 60.0, jobs=()) -> None:
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            shown = [(j.snapshot().status, j.snapshot().queue_position) for j in jobs]
            board = ray.get_actor("lenet-queue", namespace="lenet") if jobs else None
            line = ray.get(board.labels.remote()) if board else []
            raise AssertionError(f"timed out; the runs: {shown}; the line: {line}")
        time.sleep(0.02)
