"""No process outlives the app: after `kill -9` of a process that trains as the app does (the
worker server started first, runs through `TrainingJob`), every process it started ends within
seconds, whatever it was doing: training, or stuck loading data (a FIFO that never delivers
stands in for a hung disk)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.paths import ROOT

GONE_WITHIN_S = 5.0

APP = """
import dataclasses, sys, time
from demo.training.jobs import TrainingJob
from demo.training.slots import JobSlots
from demo.training.worker import DataSource, start_worker_server
from tests.conftest import FIXTURE_DIR, FIXTURE_RECIPE

server_data, run_data, wait_for_batches = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
start_worker_server(DataSource(folder=server_data, val_size=1000))
if run_data:
    recipe = dataclasses.replace(FIXTURE_RECIPE, epochs=200, train_size=500, batch_size=50)
    job = TrainingJob(recipe, DataSource(folder=run_data, val_size=1000), JobSlots(1)).start()
    while job.snapshot().status != "running" or (wait_for_batches and not job.snapshot().batches):
        time.sleep(0.05)
print("ready", flush=True)
time.sleep(600)
"""


def descendants(pid: int) -> set[int]:
    """Every living process below `pid`, found by parent ids in /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kill_app_and_time_its_children(server_data: Path, run_data: Path | None, batches: bool):
    """Start the app, kill -9 it once ready; (its children, seconds until they all ended or
    None, those still alive then)."""
    app = subprocess.Popen(
        [sys.executable, "-c", APP, str(server_data), str(run_data or ""), "1" if batches else ""],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    children: set[int] = set()
    try:
        assert app.stdout.readline().strip() == "ready"
        time.sleep(0.5)  # the worker server and the run get to where they are going
        children = descendants(app.pid)
        os.kill(app.pid, signal.SIGKILL)
        app.wait()
        killed = time.monotonic()
        while any(alive(pid) for pid in children):
            if time.monotonic() - killed > GONE_WITHIN_S:
                return children, None, {pid for pid in children if alive(pid)}
            time.sleep(0.05)
        return children, time.monotonic() - killed, set()
    finally:
        for pid in [app.pid, *children]:  # a failed run leaves nothing behind either
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def fifo_data(tmp_path) -> Path:
    """An MNIST folder whose training images never arrive: reading them blocks for ever."""
    folder = tmp_path / "hung"
    folder.mkdir()
    os.mkfifo(folder / "train-images-idx3-ubyte")
    return folder


def command_lines(pids: set[int]) -> list[str]:
    lines = []
    for pid in pids:
        try:
            lines.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return lines


def test_killing_the_app_mid_run_ends_every_child():
    from tests.conftest import FIXTURE_DIR

    children, seconds, left = kill_app_and_time_its_children(FIXTURE_DIR, FIXTURE_DIR, True)
    assert len(children) == 3, "expected the worker server, the run and the resource tracker"
    assert seconds is not None, f"still alive after kill -9: {command_lines(left)}"


def test_killing_the_app_while_a_run_loads_its_data_ends_the_run(fifo_data):
    from tests.conftest import FIXTURE_DIR

    children, seconds, left = kill_app_and_time_its_children(FIXTURE_DIR, fifo_data, False)
    assert len(children) == 3, "expected the worker server, the run and the resource tracker"
    assert seconds is not None, f"still alive after kill -9: {command_lines(left)}"


def test_killing_the_app_while_its_worker_server_loads_ends_the_server(fifo_data):
    children, seconds, left = kill_app_and_time_its_children(fifo_data, None, False)
    assert len(children) == 2, "expected the worker server and the resource tracker"
    assert seconds is not None, f"still alive after kill -9: {command_lines(left)}"
