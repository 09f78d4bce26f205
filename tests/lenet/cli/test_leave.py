"""`leave`: a command ends without Python's teardown, yet its exit functions run, what it printed
arrives, and a thread that is not a daemon is waited for."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.paths import ROOT

SCRIPT = """
import atexit, sys, threading, time
{imports}
from lenet.cli.common import leave
out = sys.argv[1]
atexit.register(lambda: open(out + ".atexit", "w").write("ran"))
def later():
    time.sleep(0.3)
    open(out + ".thread", "w").write("done")
threading.Thread(target=later, daemon={daemon}).start()
print("printed, not yet flushed", end="")
print("to stderr", end="", file=sys.stderr)
leave(3)
"""


def run(tmp_path, imports: str, daemon: bool) -> subprocess.CompletedProcess:
    code = SCRIPT.format(imports=imports, daemon=daemon)
    return subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "mark")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("imports", ["import torch", ""])
def test_leave_runs_exit_functions_and_flushes(tmp_path, imports):
    done = run(tmp_path, imports, daemon=True)
    assert done.returncode == 3, done.stderr
    assert (done.stdout, done.stderr) == ("printed, not yet flushed", "to stderr")
    assert (tmp_path / "mark.atexit").read_text() == "ran"
    assert not (tmp_path / "mark.thread").exists()  # a daemon thread ends with any exit


def test_leave_waits_for_a_thread_that_is_not_a_daemon(tmp_path):
    done = run(tmp_path, "import torch", daemon=False)
    assert done.returncode == 3, done.stderr
    assert (tmp_path / "mark.thread").read_text() == "done"
    assert (tmp_path / "mark.atexit").read_text() == "ran"
