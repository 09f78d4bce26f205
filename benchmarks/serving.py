"""The app on a free local port, and Chromium's flags: for the benchmarks and browser tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(
    port: int, env: dict | None = None, script: str = "demo/serve.py"
) -> subprocess.Popen:
    """`streamlit run demo/serve.py` (or another entry) on 127.0.0.1:port, headless, output
    discarded."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            script,
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_healthy(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
            return
        except OSError:
            if time.time() > deadline:
                raise TimeoutError(f"the app at {url} did not start in {timeout:.0f} s") from None
            time.sleep(0.05)


@contextlib.contextmanager
def running_app(
    env: dict | None = None, script: str = "demo/serve.py"
) -> Iterator[tuple[str, subprocess.Popen]]:
    """(url, server process) of a started, healthy app; stopped afterwards."""
    port = free_port()
    server = start_app(port, env, script)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url)
        yield url, server
    finally:
        server.terminate()
        server.wait(10)


def show_part(tab, part: str) -> None:
    """On the Inspect page: press the question that holds `part` (its name as shown, e.g.
    "Feature maps"), then the part, and wait until it is the one shown."""
    from demo.views.inspect.page import PARTS, question_of

    name = next(slug for slug, shown in PARTS.items() if shown == part)
    question = tab.get_by_role("radio", name=question_of(name), exact=True)
    question.wait_for(timeout=60_000)
    question.click()
    button = tab.get_by_role("radio", name=part, exact=True)
    button.click()
    tab.wait_for_function(
        "(part) => [...document.querySelectorAll('[data-testid=stButtonGroup] button')]"
        ".some(b => b.innerText.trim() === part && b.getAttribute('aria-checked') === 'true')",
        arg=part,
        timeout=30_000,
    )


def timed(call) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of call()."""
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu
