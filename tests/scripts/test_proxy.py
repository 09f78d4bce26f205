"""`make classroom WORKERS=N`'s front (scripts/proxy.py): Debian's haproxy, one port in front of N
app servers, each browser kept on one server by a cookie, websockets passed through."""

from __future__ import annotations

import contextlib
import http.server
import shutil
import threading
import urllib.request

import pytest

from benchmarks.light_roles import student
from benchmarks.serving import free_port, running_app
from scripts.proxy import config, proxied
from tests.conftest import IN_CI
from tests.demo.test_light_client import run_apart


@pytest.fixture
def haproxy():
    if shutil.which("haproxy") is None:
        if IN_CI:
            pytest.fail("haproxy is missing under CI: .ci/run installs it")
        pytest.skip("haproxy is not installed (apt-get install -y haproxy)")


@contextlib.contextmanager
def named_server(name: str):
    """A plain HTTP server on loopback that answers every GET with its name (the health check
    too): which backend a request reached."""

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            body = name.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()


def get(url: str, cookie: str | None = None) -> tuple[str, str | None]:
    """(the answer, the cookie the proxy set)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.read().decode(), answer.headers.get("Set-Cookie")


def test_a_browser_stays_on_the_server_that_served_it_first(haproxy):
    with named_server("one") as one, named_server("two") as two:
        port = free_port()
        with proxied(port, [one, two], bind="127.0.0.1"):
            url = f"http://127.0.0.1:{port}/"
            firsts = [get(url) for _ in range(6)]  # new browsers: no cookie yet
            assert {name for name, _ in firsts} == {"one", "two"}  # spread over both
            for name, cookie in firsts:
                assert cookie is not None and cookie.startswith("lenet=")
                kept = cookie.split(";")[0]
                # every later request of that browser, the websocket's upgrade included
                assert {get(url, kept)[0] for _ in range(5)} == {name}


def test_a_student_reads_digits_through_the_proxy(haproxy):
    with running_app() as (app, _):
        port = free_port()
        with proxied(port, [int(app.rsplit(":", 1)[1])], bind="127.0.0.1"):
            result = run_apart(student(f"http://127.0.0.1:{port}", 6, 0, 0.3))
    assert result["latencies"] and result["wrong"] == 0 and result["errors"] == 0
    assert result["right"] == len(result["latencies"])  # each reading names the digit drawn


def test_a_proxy_refuses_in_one_line(haproxy, monkeypatch):
    with pytest.raises(ValueError, match="at least one app server"):
        config(8501, [])
    with named_server("one") as one, proxied(free_port(), [one], bind="127.0.0.1"):
        taken = free_port()
        with named_server("two") as two, proxied(taken, [two], bind="127.0.0.1"):
            with (
                pytest.raises(RuntimeError, match=f"port {taken} is already in use"),
                proxied(taken, [one], bind="127.0.0.1"),
            ):
                pass
            assert get(f"http://127.0.0.1:{taken}/")[0] == "two"  # the first proxy still serves
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install -y haproxy"), proxied(8501, [one]):
        pass
