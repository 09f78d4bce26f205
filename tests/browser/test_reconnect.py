"""A run survives what a classroom network does: a blip, a reload; only a closed tab stops it.

The server runs with a short grace period (LENET_RECONNECT_GRACE_S) so that the closed tab's run
stops within the test; Chromium reaches it through a TCP proxy that the test can cut.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time

import pytest

from benchmarks.serving import free_port, running_app
from tests.browser.conftest import ARTIFACTS, save_screenshot
from tests.browser.test_e2e import ancestors, status, training_workers, wait_until

pytestmark = pytest.mark.browser

GRACE_S = 10


class Proxy:
    """127.0.0.1:port -> the app; `cut()` drops every connection and refuses new ones."""

    def __init__(self, upstream: int) -> None:
        self.port, self.upstream = free_port(), upstream
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                _close(sock)
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        _close(source)
        _close(sink)


FINISHED_RUN = re.compile(r"^Run #\d+ finished after")  # numbered as in the run store


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    env = {
        "LENET_CHECKPOINT_DIR": str(tmp_path_factory.mktemp("checkpoints")),
        "LENET_RECONNECT_GRACE_S": str(GRACE_S),
    }
    with running_app(env) as (url, process):
        SERVER_PID[url] = process.pid
        yield url


SERVER_PID: dict[str, int] = {}


def training_processes(url: str) -> set[int]:
    """The server's training processes (the machine may run other servers' tests meanwhile)."""
    return {pid for pid in training_workers() if SERVER_PID[url] in ancestors(pid)}


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    yield context.new_page()
    context.close()


def start_run(tab, url: str, settings: str = "preset=quick&epochs=3") -> None:
    """A Quick demo made three epochs long (~20 s): long enough to be cut or reloaded."""
    tab.goto(f"{url}/?{settings}")
    tab.get_by_role("button", name="Start training").click()
    tab.get_by_text("images a second").first.wait_for(timeout=60_000)


def follow_to_the_end(tab, timeout: float = 180) -> list[str]:
    """Every status the page showed until the run ended."""
    seen = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        with contextlib.suppress(Exception):  # the page may be redrawing
            seen.append(status(tab))
            if not any(word in seen[-1] for word in ("queued", "starting", "running")):
                return seen
        time.sleep(0.3)
    raise AssertionError(f"the run did not end in {timeout} s: {seen[-3:]}")


def test_a_network_blip_does_not_stop_the_run(tab, server):
    proxy = Proxy(int(server.rsplit(":", 1)[1]))
    proxy.open()
    start_run(tab, f"http://127.0.0.1:{proxy.port}")
    proxy.cut()  # the classroom's Wi-Fi drops for 3 s
    time.sleep(3)
    proxy.open()
    seen = follow_to_the_end(tab)
    assert "finished" in seen[-1], seen[-3:]
    assert not [s for s in seen if "stopped" in s]
    tab.get_by_text("Training time").wait_for(timeout=30_000)
    assert tab.get_by_text(FINISHED_RUN).count() == 1


def test_a_reload_shows_the_same_run_going_on_then_in_the_runs_table(tab, server, browser):
    start_run(tab, server)
    token = tab.evaluate("sessionStorage.getItem('lenet.tab')")
    assert token and len(token) >= 32 and token not in tab.url  # never in a link
    tab.reload()
    tab.get_by_text("Page reloaded: this is the same run").wait_for(timeout=30_000)
    assert tab.get_by_text("No run yet").count() == 0
    assert "running" in status(tab) or "finished" in status(tab)
    assert tab.get_by_role("button", name="Start training").is_disabled()  # its controls too
    assert tab.get_by_test_id("stMainBlockContainer").get_by_role(
        "button", name="Stop"
    ).is_enabled() or "finished" in status(tab)
    save_screenshot(tab, "reload-running")
    tab.set_viewport_size({"width": 390, "height": 844})  # the same tab on a phone, reloaded
    tab.reload()
    tab.get_by_text("Page reloaded: this is the same run").wait_for(timeout=30_000)
    tab.screenshot(path=str(ARTIFACTS / "reload-phone.png"))
    tab.set_viewport_size({"width": 1440, "height": 1000})
    assert "finished" in follow_to_the_end(tab)[-1]
    tab.get_by_text(FINISHED_RUN).wait_for(timeout=30_000)
    tab.reload()  # a finished run is still there, with its results and in the runs table
    tab.get_by_text(FINISHED_RUN).wait_for(timeout=30_000)
    assert tab.get_by_text("Your runs", exact=True).count() == 1
    assert tab.get_by_role("button", name="Save or download").count() == 1
    assert tab.get_by_role("button", name="Start training").is_enabled()
    save_screenshot(tab, "reload-done", height=1500)


def test_a_duplicated_tab_is_a_session_of_its_own(browser, server):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        first = context.new_page()
        start_run(first, server)
        token = first.evaluate("sessionStorage.getItem('lenet.tab')")
        copy = context.new_page()  # "Duplicate tab" copies the tab's sessionStorage
        copy.add_init_script(f"sessionStorage.setItem('lenet.tab', {json.dumps(token)})")
        copy.goto(f"{server}/?preset=quick")
        copy.get_by_text("No run yet").wait_for(timeout=30_000)
        # the server answers the copy's report with a token of its own
        wait_until(lambda: copy.evaluate("sessionStorage.getItem('lenet.tab')") != token, 30)
        mine = copy.evaluate("sessionStorage.getItem('lenet.tab')")
        assert token and mine and mine != token
        assert "running" in status(first)
        first.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop").click()
        wait_until(lambda: "stopped" in status(first), timeout=30)
    finally:
        context.close()


def test_a_closed_tab_stops_its_run_after_the_grace_period(browser, server):
    wait_until(lambda: not training_processes(server), timeout=30)  # earlier tests' runs ended
    context = browser.new_context()
    tab = context.new_page()
    start_run(tab, server, "preset=classic")  # minutes: it cannot end by itself meanwhile
    assert len(training_processes(server)) == 1
    context.close()  # the student closes the tab mid-training
    closed = time.time()
    time.sleep(GRACE_S / 2)
    assert len(training_processes(server)) == 1  # it might come back: the run goes on
    wait_until(lambda: not training_processes(server), timeout=GRACE_S + 20)
    assert time.time() - closed >= GRACE_S - 1
