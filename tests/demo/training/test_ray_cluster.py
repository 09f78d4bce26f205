"""The app's side of a Ray cluster without one running: the class's line (`QueueBoard`, plain
Python), what `LENET_RAY_ADDRESS` may be, a cluster that is not there failing a run in seconds with
one line, and Ray never imported without the variable."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

import demo.training.cluster.jobs as jobs
import demo.training.cluster.line as queue
from demo.training.cluster.connection import ClusterError, address_problem, connect
from demo.training.cluster.jobs import RaySlots, RayTrainingJob, died_reason
from demo.training.cluster.line import QueueBoard
from lenet.store.runs import open_store
from tests.ray_support import FIXTURE, LONG, wait_for


def test_the_line_keeps_the_order_runs_asked_in_and_drops_runs_nobody_renews(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(queue.time, "monotonic", lambda: now[0])
    line = QueueBoard()
    assert line.join("a:1", "#1") == (1, 1)
    assert line.join("b:2", "#2") == (2, 2)
    assert line.join("a:3", "") == (3, 3)
    assert line.join("b:2", "#2") == (2, 3)  # asking again keeps its place
    line.leave("a:1")
    assert line.join("a:1", "#1", since=1.0) == (1, 3)  # back where it was: it asked first
    line.leave("a:1")
    assert line.seen("b:2") == (1, 2) and line.seen("a:3") == (2, 2)
    assert line.seen("gone:9") == (0, 2)  # not in line
    now[0] += queue.STALE_S - 1
    assert line.seen("a:3") == (2, 2)
    now[0] += 2  # b:2's server stopped visiting: it leaves the line, a:3 moves up
    assert line.seen("a:3") == (1, 1) and line.labels() == [""]


class _Handle:
    """A `QueueBoard` as the app reaches it (`line.seen.remote(...)`), without Ray."""

    def __init__(self, line: QueueBoard) -> None:
        for name in ("seen", "join", "leave"):
            setattr(self, name, type("Method", (), {"remote": staticmethod(getattr(line, name))}))


class _Ray:
    @staticmethod
    def get(answer, timeout=None):
        return answer


def test_a_line_made_anew_keeps_each_run_behind_those_that_asked_before_it(monkeypatch):
    # first in line asks Ray for its CPU: a run that came back to a new line before the runs ahead
    # of it must not be first for that moment (a CI run saw the third run start before the second)
    old, new = QueueBoard(), QueueBoard()
    ahead, behind = (
        RayTrainingJob(LONG, FIXTURE, RaySlots(1)),
        RayTrainingJob(LONG, FIXTURE, RaySlots(1)),
    )
    behind._since = ahead._since + 1
    monkeypatch.setattr(jobs, "board", lambda: _Handle(old))
    assert (ahead._visit(_Ray, join=True), behind._visit(_Ray, join=True)) == (1, 2)
    monkeypatch.setattr(jobs, "board", lambda: _Handle(new))  # the line's actor died
    assert behind._visit(_Ray) == 2  # alone in the new line, but the run ahead is coming back
    assert ahead._visit(_Ray) == 1 and behind._visit(_Ray) == 2
    new.leave(ahead.token)  # the run ahead starts; once the new line has filled, places are its
    behind._rejoined -= jobs.REJOIN_S
    assert behind._visit(_Ray) == 1


@pytest.mark.parametrize(
    ("address", "fine"),
    [
        ("auto", True),
        ("ray://10.0.0.5:10001", True),
        ("ray://head.example.org:10001", True),
        ("ray://[::1]:10001", True),
        ("10.0.0.5:6379", False),  # a GCS address: the app must be a client, not a driver
        ("ray://10.0.0.5", False),
        ("ray://10.0.0.5:99999", False),
        ("http://10.0.0.5:10001", False),
        ("ray://h:²", False),  # "²".isdigit() is True, int("²") raises
        ("ray://" + "a" * 300 + ":1", True),  # well formed; reaching it fails in one line
    ],
)
def test_the_address_is_a_client_address_or_auto(address, fine):
    problem = address_problem(address)
    assert (problem is None) == fine, problem
    if problem:
        assert "\n" not in problem and "ray://HOST:PORT" in problem


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_cluster_that_is_not_there_fails_a_run_in_seconds_with_one_line(monkeypatch):
    address = f"ray://127.0.0.1:{free_port()}"
    monkeypatch.setenv("LENET_RAY_ADDRESS", address)
    began = time.perf_counter()
    with pytest.raises(ClusterError) as raised:
        connect()
    assert time.perf_counter() - began < 5
    assert str(raised.value) == (
        f"the Ray cluster at {address} cannot take training runs now (Connection refused); "
        "drawing and inspecting still work"
    )
    job = RayTrainingJob(LONG, FIXTURE, RaySlots()).start()
    assert job.join(10)
    snap = job.snapshot()
    assert snap.status == "failed" and snap.error == str(raised.value)
    wait_for(lambda: "does not answer" in RaySlots().busy_line(), timeout=10)  # never waits


def test_a_bad_address_is_refused_before_any_connection(monkeypatch):
    monkeypatch.setenv("LENET_RAY_ADDRESS", "10.0.0.5:6379")
    with pytest.raises(ClusterError, match="neither ray://HOST:PORT"):
        connect()
    from demo.training.slots import capacity_line, environment_problems

    assert any("training runs will fail" in p for p in environment_problems())
    assert "Ray cluster at 10.0.0.5:6379" in capacity_line()


def test_a_dead_worker_is_named_in_one_line():
    said = died_reason(
        RuntimeError(
            "The actor died unexpectedly before finishing this task.\n\tclass_name: RunActor\n"
            "Worker exit type: SYSTEM_ERROR Worker exit detail: Worker unexpectedly exits with a "
            "connection error code 2. End of file. Some common causes include: (1) ..."
        )
    )
    assert said == (
        "the training worker on the Ray cluster died (Worker unexpectedly exits with a "
        "connection error code 2); start the run again"
    )


def test_no_app_page_imports_ray_without_the_variable():
    code = (
        "import os, sys, importlib, pathlib\n"
        "os.environ.pop('LENET_RAY_ADDRESS', None)\n"
        "for p in sorted(pathlib.Path('demo').rglob('*.py')):\n"
        "    name = '.'.join(p.with_suffix('').parts)\n"
        "    if name.endswith('__init__') or name in ('demo.app', 'demo.serve'): continue\n"
        "    importlib.import_module(name)\n"
        "from demo.training import slots; slots.capacity_line(); slots.environment_problems()\n"
        "sys.exit(3 if 'ray' in sys.modules else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]


def test_a_ray_call_without_a_connection_fails_and_starts_no_cluster():
    """Ray's default starts a cluster of its own in a process that calls it unconnected (a run's
    thread after the connection was dropped; measured: a 2-CPU head inside pytest). In the app
    the call fails."""
    code = (
        "import os\n"
        "os.environ.pop('RAY_ENABLE_AUTO_CONNECT', None)\n"
        "import demo.training.cluster.connection, ray\n"
        "try:\n"
        "    ray.put(1)\n"
        "except Exception as error:\n"
        "    print(type(error).__name__)\n"
        "print('started' if ray.is_initialized() else 'none')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.stdout.split() == ["RaySystemError", "none"], done.stdout + done.stderr[-2000:]


def test_auto_without_a_cluster_here_is_one_line(monkeypatch):
    monkeypatch.setenv("LENET_RAY_ADDRESS", "auto")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    # a head someone else started on this machine is found by `auto`: its client server is
    # looked for on a port where nothing listens
    monkeypatch.setenv("LENET_RAY_CLIENT_PORT", str(free_port()))
    with pytest.raises(ClusterError) as raised:
        connect()
    assert "\n" not in str(raised.value) and "drawing and inspecting still work" in str(
        raised.value
    )


@pytest.fixture
def store(tmp_path):
    opened = open_store(f"sqlite:///{tmp_path / 'class.db'}")
    yield opened
    opened.close()


def test_the_class_page_shows_the_clusters_line_by_nickname(store, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from demo.views.class_page import page as class_page
    from tests.demo.views.test_class_page import add_run, class_app

    ada, bob = add_run(store, "Ada", None, "running"), add_run(store, "Bob", None, "queued")
    cy = add_run(store, "Cy", None, "queued")
    monkeypatch.setattr(class_page, "run_store", lambda: store)
    monkeypatch.setenv("LENET_RAY_ADDRESS", "ray://head:10001")
    seen = [(2.0, 0.0, [f"#{cy}", f"#{bob}", ""])]  # Cy asked first; one run not in the store
    monkeypatch.setattr(queue.watch, "latest", lambda: seen[0])
    at = AppTest.from_function(class_app, default_timeout=30).run()
    line = next(m.value for m in at.markdown if m.value.startswith("**Ray cluster:**"))
    assert line == (
        f"**Ray cluster:** 2 of 2 CPUs in use · 3 waiting, next first: #{cy} Cy, #{bob} Bob"
    )
    seen[0] = "the Ray cluster at ray://head:10001 cannot take training runs now (refused)"
    at.run()
    assert any("Training is unavailable: the Ray cluster does not" in w.value for w in at.warning)
    assert not at.exception and ada


def test_the_ray_lines_tell_the_truth_when_the_cluster_is_away_or_misnamed(store, monkeypatch):
    """Issue 28: no head at `auto` said "CPUs are all busy... taking its place in line" first;
    a malformed address said "Runs that were training are lost" on the Class page."""
    from streamlit.testing.v1 import AppTest

    from demo.views.class_page import page as class_page
    from tests.demo.views.test_class_page import class_app

    seen = [None]
    monkeypatch.setattr(queue.watch, "latest", lambda: seen[0])
    slots = RaySlots()
    assert slots.full_line == "Asking the Ray cluster for a CPU" and slots.trouble() is None
    seen[0] = "the Ray cluster at auto cannot take training runs now (no head here)"
    assert slots.trouble() == f"The Ray cluster does not answer ({seen[0]})"
    seen[0] = (2.0, 0.0, [])
    assert slots.full_line == "The Ray cluster's CPUs are all busy" and slots.trouble() is None
    monkeypatch.setattr(class_page, "run_store", lambda: store)
    monkeypatch.setenv("LENET_RAY_ADDRESS", "10.0.0.5:6379")
    at = AppTest.from_function(class_app, default_timeout=30).run()
    warning = next(w.value for w in at.warning if "Training is unavailable" in w.value)
    assert "is neither ray:" in warning and "lost" not in warning
    assert warning.endswith("Set it right and restart the server. Drawing and inspecting work.")


def test_without_the_variable_the_class_page_has_no_cluster_line(store, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from demo.views.class_page import page as class_page
    from tests.demo.views.test_class_page import add_run, class_app

    add_run(store, "Ada", 0.98)
    monkeypatch.setattr(class_page, "run_store", lambda: store)
    monkeypatch.delenv("LENET_RAY_ADDRESS", raising=False)
    at = AppTest.from_function(class_app, default_timeout=30).run()
    assert not [m for m in at.markdown if "Ray cluster" in m.value] and not at.exception


def test_unusual_settings_never_raise(monkeypatch):
    from demo.training.cluster.connection import reachable
    from demo.training.cluster.slots import run_cpus

    for written, cpus in (("²", 1), ("2", 2), ("0", 1), ("999", 64), ("x", 1)):
        monkeypatch.setenv("LENET_RAY_CPUS", written)
        assert run_cpus() == cpus
    assert reachable("ray://" + "a" * 300 + ":1")  # why not, in words: no exception
    assert reachable("ray://a..b:1")
